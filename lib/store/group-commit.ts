/** More than this many writes in one turn go in several transactions, so none holds the loop for long. */
const MAX_BATCH = 64;

/**
 * Group commit: writes asked for within one turn of the event loop run together, in one call of
 * `writeBatch` (one SQLite transaction), at the end of that turn. Each caller still gets its own
 * outcome; a batch that fails fails each of its writes with the same error. Under load a commit,
 * and its page writes, is shared by every callback that arrived together, instead of paid by each.
 */
export function groupCommit<In, Out>(writeBatch: (inputs: In[]) => Out[]): (input: In) => Promise<Out> {
  let queue: { input: In; resolve: (output: Out) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(MAX_BATCH);
    if (queue.length > 0) setImmediate(flush);
    let outputs: Out[];
    try {
      outputs = writeBatch(batch.map((write) => write.input));
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => write.resolve(outputs[i] as Out));
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      // The first write of a turn schedules the flush; the check phase runs it once the turn's
      // network events (and the callbacks they started) have all asked.
      if (queue.length === 1) setImmediate(flush);
    });
}
