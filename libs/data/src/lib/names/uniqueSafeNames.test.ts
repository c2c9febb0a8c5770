import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caseIdsForSeries } from '../dataset/caseIdsForSeries.js';
import { uidSuffix, uniqueSafeNames } from './uniqueSafeNames.js';

const sha = (uid: string) => createHash('sha256').update(uid).digest('hex').slice(0, 8);

describe('uniqueSafeNames', () => {
  it('gives every member of a collision a suffix from its own UID, in any order', () => {
    const a = { parts: ['Smith^John'], uid: '1.2.3' };
    const b = { parts: ['Smith John'], uid: '1.2.4' };
    expect(uniqueSafeNames([a, b])).toEqual([`Smith_John_${sha('1.2.3')}`, `Smith_John_${sha('1.2.4')}`]);
    expect(uniqueSafeNames([b, a])).toEqual([`Smith_John_${sha('1.2.4')}`, `Smith_John_${sha('1.2.3')}`]);
    expect(uidSuffix('1.2.3')).toBe(sha('1.2.3'));
  });

  it('leaves names that do not collide alone and compares case-insensitively', () => {
    expect(uniqueSafeNames([{ parts: ['A'], uid: '1' }, { parts: ['B'], uid: '2' }])).toEqual(['A', 'B']);
    const names = uniqueSafeNames([{ parts: ['abc'], uid: '1' }, { parts: ['ABC'], uid: '2' }]);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(2);
  });

  it('keeps names unique even when UIDs repeat', () => {
    const names = uniqueSafeNames([{ parts: ['x'], uid: '9' }, { parts: ['x'], uid: '9' }]);
    expect(new Set(names).size).toBe(2);
  });
});

describe('caseIdsForSeries', () => {
  it("'.', '..' and empty PatientIDs are distinct cases; one patient's series with one number too", () => {
    const ids = caseIdsForSeries([
      { patientId: '.', seriesNumber: 1, seriesInstanceUid: '1.1' },
      { patientId: '..', seriesNumber: 1, seriesInstanceUid: '1.2' },
      { patientId: '', seriesNumber: 1, seriesInstanceUid: '1.3' },
      { patientId: 'P', seriesNumber: 3, seriesInstanceUid: '2.1' },
      { patientId: 'P', seriesNumber: 3, seriesInstanceUid: '2.2' },
      { patientId: 'Q', seriesNumber: 3, seriesInstanceUid: '3.1' },
    ]);
    expect(ids.slice(0, 3)).toEqual([`case_${sha('1.1')}`, `case_${sha('1.2')}`, `case_${sha('1.3')}`]);
    expect(ids.slice(3)).toEqual([`P_3_${sha('2.1')}`, `P_3_${sha('2.2')}`, 'Q']);
  });
});
