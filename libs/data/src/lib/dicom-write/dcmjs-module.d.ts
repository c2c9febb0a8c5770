// dcmjs 0.50 ships no types. Kept for files that `import dcmjs from 'dcmjs'` (the phantom writer): a program
// that does not contain this file (another library's typecheck) needs `/// <reference path>` to it.
// writeDicomSeg.ts itself does not rely on it (it types the few calls it makes).
declare module 'dcmjs' {
  const dcmjs: {
    data: {
      DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
      DicomMetaDictionary: {
        denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
        naturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
      };
      DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { dict: Record<string, unknown>; meta: Record<string, unknown> } };
    };
  };
  export default dcmjs;
}
