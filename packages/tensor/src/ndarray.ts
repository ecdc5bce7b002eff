import ndarray, { type NdArray } from 'ndarray';
import { ValueError } from './errors.js';
import { Tensor, shapeSize } from './tensor.js';

/**
 * A {@link Tensor} from a scijs `ndarray` of any dtype and strides (copied into float32,
 * row-major). The first dimension is the batch.
 */
export function fromNdarray(array: NdArray): Tensor {
  const shape = array.shape.slice();
  if (shape.length === 0) throw new ValueError('array.shape', shape, 'at least one dimension');
  const size = shapeSize(shape);
  const out = new Float32Array(size);
  const data = array.data;
  const read = 'get' in data ? (i: number) => data.get(i) : (i: number) => (data as ArrayLike<number>)[i]!;
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    let off = array.offset;
    for (let d = 0; d < shape.length; d++) off += idx[d]! * array.stride[d]!;
    out[flat] = read(off);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** A scijs `ndarray` view over the tensor's memory (no copy). */
export function toNdarray(t: Tensor): NdArray<Float32Array> {
  return ndarray(t.data, [...t.shape]);
}
