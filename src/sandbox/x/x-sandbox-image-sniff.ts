/**
 * Recognising an uploaded image from its first bytes, as X does before it accepts a one-shot upload.
 */

/** The image type and size from the first bytes; null when it is not JPEG, PNG, GIF or WEBP. */
export function sniffImage(b: Uint8Array): { type: string; width: number; height: number } | null {
  const u16be = (i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  const u16le = (i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
  const u32be = (i: number) => ((u16be(i) << 16) >>> 0) + u16be(i + 2);
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    return { type: 'image/png', width: u32be(16), height: u32be(20) };
  }
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) {
    return { type: 'image/gif', width: u16le(6), height: u16le(8) };
  }
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45) {
    return { type: 'image/webp', width: 0, height: 0 };
  }
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the segments to the first start-of-frame marker for the size.
    let i = 2;
    while (i + 9 < b.length && b[i] === 0xff) {
      const marker = b[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'image/jpeg', width: u16be(i + 7), height: u16be(i + 5) };
      }
      i += 2 + u16be(i + 2);
    }
    return { type: 'image/jpeg', width: 0, height: 0 };
  }
  return null;
}
