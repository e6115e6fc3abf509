// 64-bit integers as the API accepts them (bigint or number) and as the core takes them (bigint).

export type Int64 = bigint | number;

/** `v` as a signed 64-bit bigint (numbers are truncated toward zero). */
export const big = (v: Int64): bigint => (typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v)));
