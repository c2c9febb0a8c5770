// dcmjs 0.50 ships no types; only the parts medseg calls are declared.
declare module 'dcmjs' {
  interface DicomDictInstance {
    dict: Record<string, unknown>;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomDict: new (meta: Record<string, unknown>) => DicomDictInstance;
      DicomMetaDictionary: {
        denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
      };
    };
  };
  export default dcmjs;
}
