// The bench's batches, shared by the Bench header (active batch picker, batch names on cards)
// and the Batches screen, so a change on one shows on the other without a second request.
import { listBatches } from "./backend";
import type { ApiError, BatchSummary } from "./types";

export const batchList: { items: BatchSummary[]; error: string | null } = $state({ items: [], error: null });

/** Reads the list again. */
export async function reloadBatches(): Promise<void> {
  try {
    batchList.items = await listBatches();
    batchList.error = null;
  } catch (e) {
    batchList.error = (e as ApiError).message;
  }
}
