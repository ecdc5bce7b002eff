// Paths and priors by name: the inverse of their `name` fields, for model metadata
// (`phys.path`, `phys.prior` of @phys/onnx) and command lines.
import { ValueError } from '@phys/tensor';
import { bezierPath, segmentedPath, straightPath, trigPath, type TrajectoryPath } from './path.js';
import { boxPrior, gaussianPrior, radialPrior, type PathPrior } from './path-prior.js';

const NUM = String.raw`[-+0-9.eE]+`;

function num(text: string, argument: string): number {
  const x = Number(text);
  if (!Number.isFinite(x)) throw new ValueError(argument, text, 'a finite number');
  return x;
}

/**
 * The path a name describes: `straight`, `trig` or `trig(theta=1.2)` (default pi/2), `bezier` or
 * `bezier(lambda=0.5)`, `segments(ON=4)` or `segments(ON=4, <base>)` (base default `trig`). Every
 * path's `name` parses back to the same family (`trig(theta=1.5708)` rounds theta to 6 digits).
 *
 * @throws ValueError naming the text for anything else
 */
export function pathFromName(name: string): TrajectoryPath {
  const s = name.trim();
  if (s === 'straight') return straightPath();
  if (s === 'trig') return trigPath();
  if (s === 'bezier') return bezierPath();
  let m = new RegExp(String.raw`^trig\(\s*theta\s*=\s*(${NUM})\s*\)$`).exec(s);
  if (m) return trigPath({ theta: num(m[1]!, 'theta') });
  m = new RegExp(String.raw`^bezier\(\s*lambda\s*=\s*(${NUM})\s*\)$`).exec(s);
  if (m) return bezierPath({ lambda: num(m[1]!, 'lambda') });
  m = /^segments\(\s*ON\s*=\s*(\d+)\s*(?:,\s*(.+))?\)$/.exec(s);
  if (m) return segmentedPath({ segments: Number(m[1]), ...(m[2] !== undefined && { base: pathFromName(m[2]) }) });
  throw new ValueError('path', name, "'straight', 'trig(theta=...)', 'bezier(lambda=...)' or 'segments(ON=..., <base>)'");
}

/**
 * The prior a name describes: `gaussian` or `gaussian(scale)`, `box` or `box(halfWidth)`,
 * `radial(uniform(min, max))`, `radial(betaPrime(D=.., r=..))`, `radial(chi(scale))`: the
 * inverse of every prior's `name`.
 *
 * @throws ValueError naming the text for anything else
 */
export function priorFromName(name: string): PathPrior {
  const s = name.replace(/\s+/g, '');
  if (s === 'gaussian') return gaussianPrior();
  if (s === 'box') return boxPrior();
  let m = new RegExp(String.raw`^gaussian\((${NUM})\)$`).exec(s);
  if (m) return gaussianPrior({ scale: num(m[1]!, 'scale') });
  m = new RegExp(String.raw`^box\((${NUM})\)$`).exec(s);
  if (m) return boxPrior({ halfWidth: num(m[1]!, 'halfWidth') });
  m = new RegExp(String.raw`^radial\(uniform\((${NUM}),(${NUM})\)\)$`).exec(s);
  if (m) return radialPrior({ radius: { kind: 'uniform', min: num(m[1]!, 'min'), max: num(m[2]!, 'max') } });
  m = new RegExp(String.raw`^radial\(betaPrime\(D=(${NUM}),r=(${NUM})\)\)$`).exec(s);
  if (m) return radialPrior({ radius: { kind: 'betaPrime', D: num(m[1]!, 'D'), r: num(m[2]!, 'r') } });
  m = new RegExp(String.raw`^radial\(chi\((${NUM})\)\)$`).exec(s);
  if (m) return radialPrior({ radius: { kind: 'chi', scale: num(m[1]!, 'scale') } });
  throw new ValueError('prior', name, "'gaussian(scale)', 'box(halfWidth)' or 'radial(uniform(min, max) | betaPrime(D=.., r=..) | chi(scale))'");
}
