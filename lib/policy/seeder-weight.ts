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

/** Missed designations in a row after which a peer's told class no longer counts (see `creditedUplinkClass`). */
export const MAX_DESIGNATION_MISSES = 2;

/**
 * The class a peer is ranked by: the one it told, until it was the designated seeder of segments
 * we then had to fetch ourselves `MAX_DESIGNATION_MISSES` times in a row without it telling us it
 * was loading any segment (over HTTP or as a relay) — then 0, ranked by its id alone, until it does.
 * A class is a claim: one never kept would make its neighbours wait for it ~16× as often as for
 * anyone else. An honest peer misses now and then (its player asks later, or it waits for a seeder
 * we do not see), hence two in a row; a false `loading` claim is struck when the claim is relied on.
 */
export function creditedUplinkClass(toldClass: number, designationMisses: number): number {
  return designationMisses >= MAX_DESIGNATION_MISSES ? 0 : toldClass;
}
