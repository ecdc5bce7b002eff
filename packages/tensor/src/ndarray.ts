import ndarray, { type NdArray } from 'ndarray';
import { ValueError } from './errors.js';
import { Tensor, allocate, shapeSize, type DType, type TensorData } from './tensor.js';

/**
 * A {@link Tensor} from a scijs `ndarray` of any dtype and strides (copied, row-major). The first
 * dimension is the batch. The tensor is float64 when `dtype` says so or the source holds a
 * Float64Array, else float32.
 */
export function fromNdarray(array: NdArray, dtype?: DType): Tensor {
  const shape = array.shape.slice();
  if (shape.length === 0) throw new ValueError('array.shape', shape, 'at least one dimension');
  const size = shapeSize(shape);
  const out = allocate(size, dtype ?? (array.data instanceof Float64Array ? 'float64' : 'float32'));
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
export function toNdarray(t: Tensor): NdArray<TensorData> {
  return ndarray(t.data, [...t.shape]);
}
