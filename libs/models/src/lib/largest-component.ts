import type { Vec3 } from '@medseg/data';

/**
 * Keeps, for every foreground label, only its largest 6-connected component in a [x, y, z] label volume
 * (column fastest): the usual cleanup of isolated false positives. Ties keep the component found first in
 * memory order. Returns a new array.
 */
export function largestComponent(labels: Uint8Array, shape: Vec3): Uint8Array {
  const [nx, ny, nz] = shape;
  const plane = nx * ny;
  const component = new Int32Array(labels.length).fill(-1);
  const sizes: number[] = [];
  const stack = new Int32Array(labels.length);
  for (let start = 0; start < labels.length; start++) {
    const label = labels[start]!;
    if (label === 0 || component[start] !== -1) continue;
    const id = sizes.length;
    let top = 0;
    let size = 0;
    stack[top++] = start;
    component[start] = id;
    while (top > 0) {
      const i = stack[--top]!;
      size++;
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / plane);
      const visit = (j: number) => {
        if (labels[j] === label && component[j] === -1) {
          component[j] = id;
          stack[top++] = j;
        }
      };
      if (x > 0) visit(i - 1);
      if (x < nx - 1) visit(i + 1);
      if (y > 0) visit(i - nx);
      if (y < ny - 1) visit(i + nx);
      if (z > 0) visit(i - plane);
      if (z < nz - 1) visit(i + plane);
    }
    sizes.push(size);
  }
  const bestOfLabel = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const id = component[i]!;
    if (id < 0) continue;
    const label = labels[i]!;
    const best = bestOfLabel.get(label);
    if (best === undefined || sizes[id]! > sizes[best]!) bestOfLabel.set(label, id);
  }
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const id = component[i]!;
    if (id >= 0 && bestOfLabel.get(labels[i]!) === id) out[i] = labels[i]!;
  }
  return out;
}
