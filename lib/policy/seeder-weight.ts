// A viewer's uplink against the stream's bitrate, in doublings: what it tells its peers so that the
// designated seeder of a segment (the one viewer of a neighbourhood that fetches it from the origin
// first, see `seederRank`) is more often one whose uplink passes it on before the others need it.

/** The highest class a viewer tells, and a peer's claim is held to (4× the bitrate). */
export const MAX_UPLINK_CLASS = 2;

/**
 * log2 of uplink / bitrate, rounded, from 0 to 2: 0 when either is unknown or below ~1.4× the
 * bitrate, 1 from ~1.4×, 2 from ~2.8×. The uplink is UplinkAdmission's: measured once it was full,
 * at most the upload cap, and the cap itself while nothing was measured (what the site said this
 * viewer may give). Only a fast uplink counts: ranking slow ones last did not help (bench README).
 */
export function uplinkClassOf(
  uplink: { readonly uplinkBytesPerMs: number | null } | null | undefined,
  bitrateBytesPerMs: number | null,
): number {
  const uplinkBytesPerMs = uplink?.uplinkBytesPerMs ?? null;
  if (uplinkBytesPerMs === null || bitrateBytesPerMs === null || !(bitrateBytesPerMs > 0)) return 0;
  const doublings = Math.round(Math.log2(uplinkBytesPerMs / bitrateBytesPerMs));
  return Math.min(MAX_UPLINK_CLASS, Math.max(0, doublings)) || 0;
}
