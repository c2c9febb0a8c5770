import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianPython } from '@medseg/data/testing';
import { curveX, curveY, trainingCurvesSvg } from './training-curves.js';

const epoch = (e: number, loss: number, dice: number) => ({ epoch: e, loss, learningRate: 1e-3, valDiceSlice: dice, valDicePatient: dice, seconds: 1 });

describe('trainingCurvesSvg', () => {
  it('draws the loss and Dice per epoch on their axes and marks the best epoch (read back by an XML parser)', () => {
    const history = [epoch(1, 2, 0.1), epoch(2, 1, 0.5), epoch(3, 0.5, Number.NaN), epoch(4, 0.25, 0.4)];
    const svg = trainingCurvesSvg(history, { epoch: 2, valDicePatient: 0.5 });
    const script = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
ns = {'s': 'http://www.w3.org/2000/svg'}
lines = {p.get('class'): [[float(v) for v in pt.split(',')] for pt in p.get('points').split()] for p in root.iter('{http://www.w3.org/2000/svg}polyline')}
best = root.find(".//s:g[@class='best']/s:line", ns)
print(json.dumps({'lines': lines, 'bestX': float(best.get('x1'))}))`;
    const parsed = spawnSync(debianPython, ['-c', script], { input: svg, encoding: 'utf8' });
    expect(parsed.status, parsed.stderr).toBe(0);
    const { lines, bestX } = JSON.parse(parsed.stdout) as { lines: Record<string, number[][]>; bestX: number };
    const near = (a: number[][], b: number[][]) => {
      expect(a).toHaveLength(b.length);
      a.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(0.01)));
    };
    // Loss from 0 (bottom) to its maximum 2 (top); Dice from 0 to 1; the NaN epoch is left out of the Dice line.
    near(lines['loss']!, history.map((h) => [curveX(h.epoch, 4), curveY(h.loss, 0, 2)]));
    near(lines['dice']!, [1, 2, 4].map((e) => [curveX(e, 4), curveY(history[e - 1]!.valDicePatient, 0, 1)]));
    expect(lines['loss']![0]![1]).toBeLessThan(lines['loss']![3]![1]!);
    expect(Math.abs(bestX - curveX(2, 4))).toBeLessThan(0.01);
    expect(curveY(0, 0, 1) - curveY(1, 0, 1)).toBeGreaterThan(100);
  });
});
