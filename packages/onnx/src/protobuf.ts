import { ModelFormatError } from './errors.js';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/). */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * A minimal protobuf reader over bytes: varints, length-delimited fields and skipping. Enough to
 * read the top of an ONNX `ModelProto`; it never decodes the graph.
 */
export class ProtoReader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly where = 'protobuf',
  ) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** An unsigned varint as a JS number (exact up to 2^53; ONNX sizes and versions fit). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) throw this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw this.fail('varint longer than 10 bytes');
  }

  /** A field tag: `[fieldNumber, wireType]`. */
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw this.fail('field number 0');
    return [field, t & 7];
  }

  /** The payload of a length-delimited field (a view, no copy). */
  bytesField(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.bytes.length) throw this.fail(`length ${n} runs past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-delimited UTF-8 string. */
  string(): string {
    return utf8.decode(this.bytesField());
  }

  /** Skips a field of `wireType`. */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.advance(8);
        return;
      case LEN:
        this.advance(this.varint());
        return;
      case I32:
        this.advance(4);
        return;
      default:
        throw this.fail(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.bytes.length) throw this.fail(`field of ${n} bytes runs past the end`);
    this.pos += n;
  }

  fail(why: string): ModelFormatError {
    return new ModelFormatError(this.where, this.pos, why);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** What {@link readModelHeader} reads from an ONNX `ModelProto` (everything but the graph). */
export interface OnnxModelHeader {
  /** `ir_version` (field 1). */
  readonly irVersion: number;
  /** `producer_name` (field 2), e.g. `'pytorch'`. */
  readonly producerName: string;
  /** `producer_version` (field 3). */
  readonly producerVersion: string;
  /** `doc_string` (field 6). */
  readonly docString: string;
  /** `opset_import` (field 8): domain (`''` is the default ONNX domain) -> version. */
  readonly opsets: ReadonlyMap<string, number>;
  /** `metadata_props` (field 14), string -> string, in file order (a repeated key keeps the last value). */
  readonly metadata: ReadonlyMap<string, string>;
}

// ModelProto field numbers (onnx/onnx.proto3).
const MODEL_IR_VERSION = 1;
const MODEL_PRODUCER_NAME = 2;
const MODEL_PRODUCER_VERSION = 3;
const MODEL_DOC_STRING = 6;
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const MODEL_METADATA_PROPS = 14;

interface HeaderBuilder {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  opsets: Map<string, number>;
  metadata: Map<string, string>;
}

function newHeader(): HeaderBuilder {
  return { irVersion: 0, producerName: '', producerVersion: '', docString: '', opsets: new Map(), metadata: new Map() };
}

function readEntry(bytes: Uint8Array, where: string): [string, string] {
  // StringStringEntryProto { key = 1; value = 2 }
  const r = new ProtoReader(bytes, where);
  let key = '';
  let value = '';
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) key = r.string();
    else if (f === 2 && w === LEN) value = r.string();
    else r.skip(w);
  }
  return [key, value];
}

function readOpset(bytes: Uint8Array, where: string): [string, number] {
  // OperatorSetIdProto { domain = 1; version = 2 (int64) }
  const r = new ProtoReader(bytes, where);
  let domain = '';
  let version = 0;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) domain = r.string();
    else if (f === 2 && w === VARINT) version = r.varint();
    else r.skip(w);
  }
  return [domain, version];
}

function applyField(h: HeaderBuilder, field: number, wire: number, r: ProtoReader): boolean {
  if (field === MODEL_IR_VERSION && wire === VARINT) h.irVersion = r.varint();
  else if (field === MODEL_PRODUCER_NAME && wire === LEN) h.producerName = r.string();
  else if (field === MODEL_PRODUCER_VERSION && wire === LEN) h.producerVersion = r.string();
  else if (field === MODEL_DOC_STRING && wire === LEN) h.docString = r.string();
  else if (field === MODEL_OPSET_IMPORT && wire === LEN) {
    const [d, v] = readOpset(r.bytesField(), r.where);
    h.opsets.set(d, v);
  } else if (field === MODEL_METADATA_PROPS && wire === LEN) {
    const [k, v] = readEntry(r.bytesField(), r.where);
    h.metadata.set(k, v);
  } else return false;
  return true;
}

function checkHeader(h: HeaderBuilder, where: string, sawGraph: boolean): OnnxModelHeader {
  if (!sawGraph) throw new ModelFormatError(where, 0, 'no graph (field 7): not an ONNX ModelProto');
  return h;
}

/**
 * Reads the header of an ONNX `ModelProto` held in memory: IR version, producer, opsets and
 * `metadata_props` (onnxruntime-node does not expose custom metadata, so we parse it). The graph
 * is skipped, not decoded. Throws {@link ModelFormatError} on malformed bytes.
 */
export function readModelHeader(bytes: Uint8Array, where = 'model bytes'): OnnxModelHeader {
  const r = new ProtoReader(bytes, where);
  const h = newHeader();
  let sawGraph = false;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === MODEL_GRAPH && wire === LEN) {
      sawGraph = true;
      r.skip(wire);
    } else if (!applyField(h, field, wire, r)) r.skip(wire);
  }
  return checkHeader(h, where, sawGraph);
}

/**
 * Reads `length` bytes at byte `position` of a model into `into`; resolves to the bytes read.
 * A Node file handle's `read` is one; so is a slice of a ranged HTTP fetch.
 */
export type PositionalRead = (into: Uint8Array, position: number) => Promise<number>;

/**
 * Reads the same header as {@link readModelHeader} from a model of `size` bytes without loading
 * it: top-level fields are visited with positional reads and the graph (weights included) is
 * seeked over, so a large model costs a few small reads. `where` names the model in errors.
 */
export async function readModelHeaderAt(read: PositionalRead, size: number, where: string): Promise<OnnxModelHeader> {
  const h = newHeader();
  let sawGraph = false;
  let pos = 0;
  const head = new Uint8Array(20);
  while (pos < size) {
    // A tag and a length prefix are two varints: at most 20 bytes.
    const bytesRead = await read(head.subarray(0, Math.min(head.length, size - pos)), pos);
    const r = new ProtoReader(head.subarray(0, bytesRead), where);
    const [field, wire] = r.tag();
    if (wire === LEN) {
      const n = r.varint();
      const start = pos + r.pos;
      if (start + n > size) throw new ModelFormatError(where, pos, `field ${field} of ${n} bytes runs past the end of the file`);
      if (field === MODEL_GRAPH) {
        sawGraph = true;
      } else if (field === MODEL_PRODUCER_NAME || field === MODEL_PRODUCER_VERSION || field === MODEL_DOC_STRING || field === MODEL_OPSET_IMPORT || field === MODEL_METADATA_PROPS) {
        // Re-read the field (tag, length and payload) and decode it in memory.
        const buf = new Uint8Array(r.pos + n);
        await read(buf, pos);
        const fr = new ProtoReader(buf, where);
        fr.tag();
        applyField(h, field, wire, fr);
      }
      pos = start + n;
    } else {
      if (field === MODEL_IR_VERSION && wire === VARINT) h.irVersion = r.varint();
      else r.skip(wire);
      pos += r.pos;
    }
  }
  return checkHeader(h, where, sawGraph);
}
