// kafkajs round trips for the security tests: a client with the given connection settings (ssl, sasl)
// produces ten records v0..v9 to partition 0 of a topic and consumes them back in a group named after it.
import type { KafkaConfig } from 'kafkajs';

export const TEN_VALUES = Array.from({ length: 10 }, (_, i) => `v${i}`);

/** Produces TEN_VALUES to `topic` and reads them back; rejects on any client error (no retries). */
export async function kafkajsRoundTrip(settings: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'connectionTimeout'>, topic: string): Promise<string[]> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'rivulet-security', logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...settings });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: TEN_VALUES.map((value) => ({ value, partition: 0 })) });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: topic });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out with ${got.length} messages`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === TEN_VALUES.length) {
            clearTimeout(t);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
