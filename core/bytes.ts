// Big-endian loads and stores (Kafka's wire and on-disk byte order) on raw addresses.

// @ts-ignore: decorator
@inline export function be16(p: usize): i32 {
  return <i32>bswap<u16>(load<u16>(p)) << 16 >> 16;
}
// @ts-ignore: decorator
@inline export function be32(p: usize): i32 {
  return <i32>bswap<u32>(load<u32>(p));
}
// @ts-ignore: decorator
@inline export function be64(p: usize): i64 {
  return <i64>bswap<u64>(load<u64>(p));
}
// @ts-ignore: decorator
@inline export function putBe16(p: usize, v: i32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}
// @ts-ignore: decorator
@inline export function putBe32(p: usize, v: i32): void {
  store<u32>(p, bswap<u32>(<u32>v));
}
// @ts-ignore: decorator
@inline export function putBe64(p: usize, v: i64): void {
  store<u64>(p, bswap<u64>(<u64>v));
}
