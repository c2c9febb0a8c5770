import type { DataSet } from './dicomParserModule.js';

// Typed accessors over dicom-parser's data set. They take the VR that the standard gives each attribute rather
// than the one in the file, because implicit-VR files carry none.

/** A string value with padding removed; undefined when absent or empty. */
export function getString(dataSet: DataSet, tag: string, index?: number): string | undefined {
  if (!dataSet.elements[tag]) return undefined;
  const value = dataSet.string(tag, index);
  return value === undefined || value === '' ? undefined : value.replace(/\0+$/, '').trim() || undefined;
}

/** All backslash-separated values of a string attribute. */
export function getStrings(dataSet: DataSet, tag: string): string[] {
  const value = getString(dataSet, tag);
  return value === undefined ? [] : value.split('\\').map((part) => part.trim());
}

/** A US (unsigned short) value. */
export function getUint16(dataSet: DataSet, tag: string): number | undefined {
  const element = dataSet.elements[tag];
  if (!element || element.length < 2) return undefined;
  return dataSet.uint16(tag);
}

/** An IS or DS value (decimal string); undefined when absent or not a finite number. */
export function getDecimal(dataSet: DataSet, tag: string, index = 0): number | undefined {
  const values = getDecimals(dataSet, tag);
  return values[index];
}

/** All values of a DS/IS attribute; empty when absent or when any value is not a number. */
export function getDecimals(dataSet: DataSet, tag: string): number[] {
  const parts = getStrings(dataSet, tag);
  const values = parts.map((part) => Number(part));
  return parts.length > 0 && values.every((v) => Number.isFinite(v)) && parts.every((p) => p !== '') ? values : [];
}

/** The data set of item `index` of a sequence attribute. */
export function getItem(dataSet: DataSet, tag: string, index = 0): DataSet | undefined {
  return dataSet.elements[tag]?.items?.[index]?.dataSet;
}

/** The data sets of all items of a sequence attribute. */
export function getItems(dataSet: DataSet, tag: string): DataSet[] {
  const items = dataSet.elements[tag]?.items ?? [];
  return items.flatMap((item) => (item.dataSet ? [item.dataSet] : []));
}
