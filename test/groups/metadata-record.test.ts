// A group as its __consumer_offsets record: the value written for a group loads back as the same group, and a
// loaded value that no coordinator would write (a bug, not client input) fails an invariant.
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../common/invariant.js';
import { decodeGroupMetadataValue, type GroupMetadataValue } from '../../host-node/group/consumer-offsets-schema.js';
import { groupFromMetadata, groupMetadataRecord } from '../../host-node/group/group-metadata-record.js';
import { subscription } from './helpers.js';

const member = (memberId: string, groupInstanceId: string | null = null) => ({
  memberId,
  groupInstanceId,
  clientId: 'client',
  clientHost: '/127.0.0.1',
  rebalanceTimeout: 10000,
  sessionTimeout: 10000,
  subscription: subscription(['t']),
  assignment: new Uint8Array([1, 2, 3]),
});

const value = (over: Partial<GroupMetadataValue> = {}): GroupMetadataValue => ({
  protocolType: 'consumer',
  generation: 3,
  protocol: 'range',
  leader: 'm1',
  currentStateTimestamp: 1000n,
  members: [member('m1'), member('m2', 'instance-2')],
  ...over,
});

describe('group metadata records', () => {
  it('a loaded group is Stable in its generation with its members, and is written back as the same value', () => {
    const g = groupFromMetadata('g', value(), 5000);
    expect(g.state).toBe('Stable');
    expect(g.generationId).toBe(3);
    expect(g.leaderId).toBe('m1');
    expect(g.staticMemberId('instance-2')).toBe('m2');
    expect(g.get('m1')!.assignment).toEqual(new Uint8Array([1, 2, 3]));
    const record = groupMetadataRecord(g);
    expect(decodeGroupMetadataValue(record.value!)).toEqual(value());
  });

  it('a leader that is no longer a member is replaced by the first member; no members means Empty', () => {
    expect(groupFromMetadata('g', value({ leader: 'gone' }), 0).leaderId).toBe('m1');
    const empty = groupFromMetadata('g', value({ members: [], protocol: null, leader: null }), 0);
    expect(empty.state).toBe('Empty');
  });

  it('values no coordinator writes fail an invariant', () => {
    expect(() => groupFromMetadata('g', value({ generation: -1 }), 0)).toThrow(InvariantViolation);
    expect(() => groupFromMetadata('g', value({ protocol: null }), 0)).toThrow(InvariantViolation);
    expect(() => groupFromMetadata('g', value({ members: [member('m1'), member('m1')] }), 0)).toThrow(InvariantViolation);
    expect(() => groupFromMetadata('g', value({ members: [member('')] }), 0)).toThrow(InvariantViolation);
  });
});
