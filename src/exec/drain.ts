/**
 * @module exec/drain
 * Reading one output stream of a command to its end, whoever wants it: the
 * runtime does not end a process while its stdout or stderr is left unread.
 */

/** Bytes of a stream nobody reads yet that are kept (the most recent); older ones are dropped. */
export const EXEC_UNREAD_BUFFER_BYTES = 1024 * 1024;
/** Bytes read ahead of a slow reader of the `stdout` / `stderr` streams; beyond that the process waits for it. */
export const EXEC_READ_AHEAD_BYTES = 64 * 1024;
/** Bytes of each stream `output()` keeps; past them the command is killed and `output()` rejects. */
export const EXEC_OUTPUT_MAX_BYTES = 16 * 1024 * 1024;
/** Bytes at the start of each stream kept to recognise the runtime's own failure text. */
const EXEC_HEAD_BYTES = 1024;

const CHOOSE_ONE =
  "Use output() alone for everything at the end, or the stdout and stderr streams with exitCode as the command runs.";

/**
 * Reads one of the runtime's output streams to its end, always, and keeps
 * what its reader needs: unclaimed, the last {@link EXEC_UNREAD_BUFFER_BYTES};
 * claimed as a stream, {@link EXEC_READ_AHEAD_BYTES} ahead of its reader
 * (then the process waits, as a pipe makes it); claimed by `output()`,
 * everything; once the reader cancelled or the command failed, nothing.
 */
export class Drain {
  readonly #name: "stdout" | "stderr";
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #finished: Promise<void>;
  #claim: "stream" | "output" | undefined;
  #stream: ReadableStream<Uint8Array> | undefined;
  #discarding = false;
  #chunks: Uint8Array[] = [];
  #queuedBytes = 0;
  #droppedBytes = 0;
  readonly #head: Uint8Array[] = [];
  #headBytes = 0;
  #done = false;
  #error: unknown;
  #failure: { error: unknown } | undefined;
  #waiters: Array<() => void> = [];
  readonly #onOverflow: (() => void) | undefined;

  /** @param onOverflow called once `output()`'s share passes {@link EXEC_OUTPUT_MAX_BYTES} */
  constructor(name: "stdout" | "stderr", stream: ReadableStream<Uint8Array> | null, onOverflow?: () => void) {
    this.#name = name;
    this.#onOverflow = onOverflow;
    if (stream) {
      this.#reader = stream.getReader();
      this.#finished = this.#pump();
    } else {
      this.#done = true;
      this.#finished = Promise.resolve();
    }
  }

  /**
   * The stream a caller reads: the first call claims it, later ones give the same stream.
   * @throws the command's failure, or an error if `output()` claimed it
   */
  stream(): ReadableStream<Uint8Array> {
    if (this.#stream) return this.#stream;
    if (this.#failure) throw this.#failure.error;
    if (this.#claim === "output") {
      throw new Error(`${this.#name} cannot be read after output(): output() is already reading it. ${CHOOSE_ONE}`);
    }
    this.#claim = "stream";
    this.#wake();
    this.#stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          for (;;) {
            if (this.#failure) return controller.error(this.#failure.error);
            const chunk = this.#chunks.shift();
            if (chunk) {
              this.#queuedBytes -= chunk.byteLength;
              this.#wake();
              return controller.enqueue(chunk);
            }
            if (this.#done) return this.#error === undefined ? controller.close() : controller.error(this.#error);
            await this.#changed();
          }
        },
        // The reader gave up: keep draining (the process must be able to end), keep nothing.
        cancel: () => this.#discard(),
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /**
   * Claim every one of `drains` for `output()` (everything is kept until it ends), or none of them.
   * @throws the command's failure, or an error if one was taken as a stream
   */
  static claimForOutput(drains: readonly Drain[]): void {
    for (const drain of drains) {
      if (drain.#failure) throw drain.#failure.error;
      if (drain.#claim === "stream") {
        throw new Error(
          `output() cannot be used after ${drain.#name} was taken: that stream is already being read. ${CHOOSE_ONE}`,
        );
      }
    }
    for (const drain of drains) drain.#claim = "output";
  }

  /** Everything, once the stream ended (after {@link Drain.claimForOutput}). */
  async collect(): Promise<Uint8Array> {
    await this.#finished;
    if (this.#failure) throw this.#failure.error;
    if (this.#error !== undefined) throw this.#error;
    if (this.#droppedBytes > 0) {
      throw new Error(
        `output() came after ${this.#droppedBytes} bytes of ${this.#name} had been dropped unread (only the last ` +
          `${EXEC_UNREAD_BUFFER_BYTES} are kept until something reads it). ` +
          "Call output() right after containerExec(), or read the stdout and stderr streams as the command runs.",
      );
    }
    return concat(this.#chunks);
  }

  /** The first bytes as text (at most {@link EXEC_HEAD_BYTES}), once that many came or the stream ended. */
  async head(): Promise<string> {
    while (!this.#done && this.#headBytes < EXEC_HEAD_BYTES) await this.#changed();
    return new TextDecoder().decode(concat(this.#head));
  }

  /** The command was killed on a timeout or abort: a reader gets `error`, nothing more is kept. */
  fail(error: unknown): void {
    this.#failure = { error };
    this.#discard();
    this.#reader?.cancel(error).catch(() => undefined);
  }

  async #pump(): Promise<void> {
    const reader = this.#reader!;
    try {
      for (;;) {
        while (this.#claim === "stream" && this.#queuedBytes >= EXEC_READ_AHEAD_BYTES) await this.#changed();
        const { done, value } = await reader.read();
        if (done) break;
        this.#take(asBytes(value));
      }
    } catch (error) {
      this.#error = error ?? new Error(`${this.#name} failed`);
    }
    this.#done = true;
    this.#wake();
  }

  #take(bytes: Uint8Array): void {
    if (this.#headBytes < EXEC_HEAD_BYTES) {
      const part = bytes.subarray(0, EXEC_HEAD_BYTES - this.#headBytes);
      this.#head.push(part.slice());
      this.#headBytes += part.byteLength;
    }
    if (!this.#discarding) {
      this.#chunks.push(bytes);
      this.#queuedBytes += bytes.byteLength;
      if (this.#claim === undefined) this.#trim();
      if (this.#claim === "output" && this.#queuedBytes > EXEC_OUTPUT_MAX_BYTES) this.#onOverflow?.();
    }
    this.#wake();
  }

  /** Keep only the most recent {@link EXEC_UNREAD_BUFFER_BYTES}. */
  #trim(): void {
    while (this.#queuedBytes > EXEC_UNREAD_BUFFER_BYTES) {
      const excess = this.#queuedBytes - EXEC_UNREAD_BUFFER_BYTES;
      const oldest = this.#chunks[0]!;
      const dropped = Math.min(excess, oldest.byteLength);
      if (dropped === oldest.byteLength) this.#chunks.shift();
      else this.#chunks[0] = oldest.subarray(dropped);
      this.#queuedBytes -= dropped;
      this.#droppedBytes += dropped;
    }
  }

  #discard(): void {
    this.#discarding = true;
    this.#chunks = [];
    this.#queuedBytes = 0;
    this.#wake();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new TextEncoder().encode(String(value));
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
