import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRng, type Vec3 } from '@medseg/data';
import { debianPython } from '@medseg/data/testing';
import { type CaseCandidateDice, choosePostprocessing, postprocessingCandidates, scorePostprocessingCandidates, ttaPostprocessingCandidates } from './choose-postprocessing.js';

const shape: Vec3 = [16, 14, 8];
const voxels = shape[0] * shape[1] * shape[2];
const index = (x: number, y: number, z: number) => x + shape[0] * (y + shape[1] * z);

/** A box [x0, x1) x [y0, y1) x [z0, z1) set to `value` in `target`. */
function box(target: Uint8Array | Float32Array, [x0, y0, z0]: Vec3, [x1, y1, z1]: Vec3, value: number): void {
  for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) target[index(x, y, z)] = value;
}

function scored(caseId: string, patientId: string, probabilities: Float32Array, truth: Uint8Array): CaseCandidateDice {
  return { caseId, patientId, dice: scorePostprocessingCandidates(probabilities, 1, truth, shape) };
}

describe('choosePostprocessing', () => {
  it('keeps the largest component when a spurious island is all it removes, and not when the truth has two parts', () => {
    // A 6x6x4 tumour predicted at 0.9 and a 2x2x2 island at 0.8 elsewhere: off, Dice = 2*144 / (144 + 152).
    const truth = new Uint8Array(voxels);
    box(truth, [2, 2, 2], [8, 8, 6], 1);
    const island = new Float32Array(voxels).fill(0.05);
    box(island, [2, 2, 2], [8, 8, 6], 0.9);
    box(island, [12, 10, 0], [14, 12, 2], 0.8);
    const withIsland = choosePostprocessing([scored('a', 'A', island, truth)]);
    const row = (t: number, lc: boolean) => withIsland.table.find((r) => r.threshold === t && r.largestComponent === lc)!.meanDice;
    for (const t of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) {
      expect(row(t, false)).toBeCloseTo((2 * 144) / (144 + 152), 12);
      expect(row(t, true)).toBe(1);
    }
    expect(withIsland.chosen).toEqual({ threshold: 0.5, largestComponent: true });
    expect(withIsland).toMatchObject({ patients: 1, cases: 1 });

    // The same island, but it is a second, smaller part of the truth: the cleanup now removes true tumour.
    const twoParts = truth.slice();
    box(twoParts, [12, 10, 0], [14, 12, 2], 1);
    const lost = choosePostprocessing([scored('b', 'B', island, twoParts)]);
    const lostRow = (lc: boolean) => lost.table.find((r) => r.threshold === 0.5 && r.largestComponent === lc)!.meanDice;
    expect(lostRow(false)).toBe(1);
    expect(lostRow(true)).toBeCloseTo((2 * 144) / (144 + 152), 12);
    expect(lost.chosen).toEqual({ threshold: 0.5, largestComponent: false });
  });

  it('moves the threshold only when it raises the mean, to the one nearest the default among equals, and keeps the cleanup only when it raises it', () => {
    // The tumour at 0.45: thresholds 0.1 to 0.4 find all of it (Dice 1), 0.5 and above nothing (Dice 0).
    const truth = new Uint8Array(voxels);
    box(truth, [3, 3, 1], [9, 9, 5], 1);
    const faint = new Float32Array(voxels).fill(0.05);
    box(faint, [3, 3, 1], [9, 9, 5], 0.45);
    const choice = choosePostprocessing([scored('c', 'C', faint, truth)]);
    expect(choice.table.map((r) => r.meanDice)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    // The cleanup changes nothing here, so it is not kept (nnU-Net v2: only on strict improvement).
    expect(choice.chosen).toEqual({ threshold: 0.4, largestComponent: false });
    // Equal means everywhere: the default stays, without the cleanup.
    const flat = new Float32Array(voxels).fill(0.05);
    box(flat, [3, 3, 1], [9, 9, 5], 0.95);
    expect(choosePostprocessing([scored('d', 'D', flat, truth)]).chosen).toEqual({ threshold: 0.5, largestComponent: false });
    // No finite Dice at all (empty truth, empty prediction): the default.
    const none = choosePostprocessing([scored('e', 'E', new Float32Array(voxels), new Uint8Array(voxels))]);
    expect(none.chosen).toEqual({ threshold: 0.5, largestComponent: false });
    expect(none.patients).toBe(0);
  });

  it('with flip-TTA candidates, chooses among them alone: TTA stays on even where a plain candidate scores higher', () => {
    // Plain probabilities find the tumour at 0.45 only (best: threshold 0.4, Dice 1); the TTA ones at 0.9 find it
    // at every threshold, but with an island that only the cleanup removes.
    const truth = new Uint8Array(voxels);
    box(truth, [3, 3, 1], [9, 9, 5], 1);
    const plain = new Float32Array(voxels).fill(0.05);
    box(plain, [3, 3, 1], [9, 9, 5], 0.45);
    const mirrored = new Float32Array(voxels).fill(0.05);
    box(mirrored, [3, 3, 1], [9, 9, 5], 0.9);
    box(mirrored, [12, 10, 0], [14, 12, 2], 0.8);
    // What validationPostprocessing scores for a model trained with both flips: the TTA candidates only.
    const island = choosePostprocessing([{ caseId: 'f', patientId: 'F', dice: scorePostprocessingCandidates(mirrored, 1, truth, shape, ttaPostprocessingCandidates) }], ttaPostprocessingCandidates);
    expect(island.table).toHaveLength(14);
    expect(island.table.map((r) => r.meanDice)).toEqual(Array.from({ length: 7 }, () => [(2 * 144) / (144 + 152), 1]).flat().map((d) => expect.closeTo(d, 12) as unknown));
    expect(island.chosen).toEqual({ threshold: 0.5, largestComponent: true, tta: true });
    expect(island.reason).toMatch(/with flip TTA \(on: .*keeping the largest component raises it at threshold 0.5 \(1.000 with, 0.973 without\)/);

    // Plain rows beside them (records from before TTA was fixed) are reported but not chosen, even when better:
    // TTA probabilities that miss half the tumour (Dice 2/3 everywhere) against plain ones that reach 1 at 0.4.
    const half = new Float32Array(voxels).fill(0.05);
    box(half, [3, 3, 1], [9, 9, 3], 0.9);
    const candidates = [...postprocessingCandidates, ...ttaPostprocessingCandidates];
    const both = choosePostprocessing(
      [{ caseId: 'g', patientId: 'G', dice: [...scorePostprocessingCandidates(plain, 1, truth, shape), ...scorePostprocessingCandidates(half, 1, truth, shape, ttaPostprocessingCandidates)] }],
      candidates,
    );
    expect(both.table).toHaveLength(28);
    expect(both.table.find((r) => r.threshold === 0.4 && r.tta !== true)!.meanDice).toBe(1);
    expect(both.chosen).toEqual({ threshold: 0.5, largestComponent: false, tta: true });
    expect(both.table.find((r) => r.threshold === 0.5 && !r.largestComponent && r.tta === true)!.meanDice).toBeCloseTo(2 / 3, 12);
    // Without a TTA default among the candidates, the rule cannot start.
    expect(() => choosePostprocessing([], ttaPostprocessingCandidates.filter((c) => c.threshold !== 0.5))).toThrow(/flip TTA/);
  });

  it('agrees with numpy and scipy.ndimage on noisy volumes: every candidate, per patient, and the choice', () => {
    // Four cases of three patients (P1 has two series): a blurred ball plus noise and bright islands.
    const rng = createRng(11);
    const cases: { id: string; patient: string; probabilities: Float32Array; truth: Uint8Array }[] = [];
    for (const [id, patient] of [['c1', 'P1'], ['c2', 'P1'], ['c3', 'P2'], ['c4', 'P3']] as const) {
      const [cx, cy, cz] = [rng.uniform(5, 11), rng.uniform(5, 9), rng.uniform(3, 5)];
      const radius = rng.uniform(2.5, 4);
      const bias = rng.uniform(-1.5, 1.5);
      const truth = new Uint8Array(voxels);
      const probabilities = new Float32Array(voxels);
      for (let z = 0; z < shape[2]; z++) {
        for (let y = 0; y < shape[1]; y++) {
          for (let x = 0; x < shape[0]; x++) {
            const d = Math.hypot(x - cx, y - cy, 2 * (z - cz));
            truth[index(x, y, z)] = d <= radius ? 1 : 0;
            const logit = 2 * (radius - d) + bias + rng.normal();
            probabilities[index(x, y, z)] = 1 / (1 + Math.exp(-logit));
          }
        }
      }
      for (let k = 0; k < 3; k++) probabilities[rng.int(0, voxels)] = rng.uniform(0.55, 0.95);
      cases.push({ id, patient, probabilities, truth });
    }
    const choice = choosePostprocessing(cases.map((c) => ({ caseId: c.id, patientId: c.patient, dice: scorePostprocessingCandidates(c.probabilities, 1, c.truth, shape) })));

    const script = `
import sys, json, numpy as np
from scipy import ndimage
n = ${voxels}
raw = sys.stdin.buffer.read()
cands = json.loads(sys.argv[1]); patients = json.loads(sys.argv[2])
def lcc(m):
    lab, k = ndimage.label(m)  # 6-connectivity in 3D
    if k == 0: return m
    sizes = np.bincount(lab.ravel())[1:]
    return lab == (np.argmax(sizes) + 1)
per_case = []
for i in range(len(patients)):
    off = i * n * 5
    p = np.frombuffer(raw[off:off + 4 * n], dtype='<f4').reshape(${shape[2]}, ${shape[1]}, ${shape[0]})
    t = np.frombuffer(raw[off + 4 * n:off + 5 * n], dtype=np.uint8).reshape(p.shape) > 0
    row = []
    for c in cands:
        m = p.astype(np.float64) >= c['threshold']
        if c['largestComponent']: m = lcc(m)
        s = m.sum() + t.sum()
        row.append(float('nan') if s == 0 else 2 * (m & t).sum() / s)
    per_case.append(row)
per_case = np.array(per_case)
ids = sorted(set(patients), key=patients.index)
per_patient = np.array([np.nanmean(per_case[[j for j, q in enumerate(patients) if q == pid]], axis=0) for pid in ids])
means = np.nanmean(per_patient, axis=0)
mean = lambda t, lc: means[[k for k, c in enumerate(cands) if c['threshold'] == t and c['largestComponent'] == lc][0]]
best = lambda t: (t, True) if mean(t, True) > mean(t, False) else (t, False)
chosen = best(0.5)
for t in sorted({c['threshold'] for c in cands}, key=lambda t: (abs(t - 0.5), t)):
    if mean(*best(t)) > mean(*chosen): chosen = best(t)
print(json.dumps({'means': means.tolist(), 'perPatient': per_patient.tolist(), 'chosen': {'threshold': chosen[0], 'largestComponent': chosen[1]}}))`;
    const input = Buffer.concat(cases.flatMap((c) => [Buffer.from(c.probabilities.buffer), Buffer.from(c.truth.buffer)]));
    const result = spawnSync(debianPython, ['-c', script, JSON.stringify(postprocessingCandidates), JSON.stringify(cases.map((c) => c.patient))], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(result.status, result.stderr).toBe(0);
    const expected = JSON.parse(result.stdout) as { means: number[]; perPatient: number[][]; chosen: unknown };
    choice.table.forEach((row, i) => expect(row.meanDice).toBeCloseTo(expected.means[i]!, 12));
    expect(choice.perPatient.map((p) => p.patientId)).toEqual(['P1', 'P2', 'P3']);
    choice.perPatient.forEach((p, i) => p.dice.forEach((d, k) => expect(d).toBeCloseTo(expected.perPatient[i]![k]!, 12)));
    expect(choice.chosen).toEqual(expected.chosen);
    expect(choice).toMatchObject({ patients: 3, cases: 4 });
    // The candidates must differ for the comparison to mean something.
    expect(new Set(choice.table.map((r) => r.meanDice.toFixed(6))).size).toBeGreaterThan(3);
  });
});
