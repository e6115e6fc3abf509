// PENDING (not picked up by vitest: the suite includes only *.test.ts). The client scenarios against the
// real broker with nothing stood in. The data path (Produce, Fetch, ListOffsets, DeleteRecords) is real
// already and passes these scenarios in client-flows.test.ts, where the admin APIs the broker still lacks
// (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, IncrementalAlterConfigs) are test
// stand-ins over the real topic registry (admin-standins.ts). Once those handlers are registered by
// default, rename this file to e2e.test.ts.
import { afterAll, beforeAll, describe } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { clientScenarios } from './scenarios.js';

describe('client against the real broker handlers', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
  });
  clientScenarios(() => `127.0.0.1:${broker.port}`);
});
