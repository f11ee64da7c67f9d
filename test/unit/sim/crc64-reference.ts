/** CRC-64 as OSS reports it, bit by bit with BigInt straight from the definition: the tests' yardstick. */
export function reference(data: Uint8Array): string {
  const poly = 0xc96c5795d7870f42n;
  const mask = (1n << 64n) - 1n;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ mask).toString();
}
