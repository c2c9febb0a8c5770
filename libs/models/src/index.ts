// -- models (encoders, U-Net, training, inference) --
export type { BackboneSpec } from './lib/backbones.js';
export { backbones, getBackbone } from './lib/backbones.js';
export { EncoderWeightsError, EngineUnavailableError, ModelExportError, ModelLoadError, ModelOptionsError, ReplicaError } from './lib/errors.js';
export type { EncoderWeightsSource, ResolveEncoderWeightsOptions } from './lib/encoder-weights.js';
export { defaultCacheDir, resolveEncoderWeights } from './lib/encoder-weights.js';
export type { Encoder, LoadEncoderOptions } from './lib/encoder.js';
export { loadEncoder } from './lib/encoder.js';
export type { LayersModelFiles } from './lib/layers-model-files.js';
export { layersModelFromFiles, readLayersModelFiles } from './lib/layers-model-files.js';
export type { BuildUnetOptions, Unet, UnetConfig } from './lib/unet.js';
export { buildUnet, defaultDecoderFilters, segmentationModelsDecoderFilters, unetInputChannels } from './lib/unet.js';
export type { BatchAugmenter } from './lib/augment-channels.js';
export { augmentChannels } from './lib/augment-channels.js';
export { contextSliceChoices, inputChannels, volumeSliceStack } from './lib/slice-context.js';
export { greyToEncoderChannel, greyToEncoderInput } from './lib/preprocess.js';
export type { InferenceForwardOptions } from './lib/inference-graph.js';
export { inferenceForward } from './lib/inference-graph.js';
export type { LossName, SegmentationLoss } from './lib/losses.js';
export { lossNames, segmentationLoss } from './lib/losses.js';
export { diceScore, nanMean } from './lib/dice.js';
export { resizeBilinear, resizeNearest } from './lib/resize.js';
export type { SliceCase, SliceSet } from './lib/slice-set.js';
export { buildSliceSet, intensityRange } from './lib/slice-set.js';
export type { CheckpointContents, NamedTensor } from './lib/checkpoint.js';
export type { CheckpointMeta } from './lib/checkpoint.js';
export { checkpointFolder, copyUnetWeights, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from './lib/checkpoint.js';
export type { EpochMetrics, TrainEvent, TrainOptions, TrainResult, TrainSettings, TrainState } from './lib/train.js';
export type { TrainingBatch } from './lib/training-batch.js';
export { epochOutcome, learningRateAt, trainUnet, validateTrainSettings, validationDice } from './lib/train.js';
export { batchGradients, trainableVariables } from './lib/training-step.js';
export { FlatAdamOptimizer } from './lib/flat-adam.js';
export type { PredictSlicesOptions } from './lib/predict-slices.js';
export { predictSlices, probabilitiesToLabels } from './lib/predict-slices.js';
export type { DatasetSplit, LoadDatasetSlicesOptions } from './lib/dataset-slices.js';
export { concatSliceSets, datasetCaseSplits, loadDatasetSlices } from './lib/dataset-slices.js';
export { largestComponent } from './lib/largest-component.js';
export type { PredictVolumeOptions } from './lib/predict-volume.js';
export { predictVolume } from './lib/predict-volume.js';

// -- backend --
export type { BackendChoice, BackendName, SelectedBackend } from './lib/backend/selectBackend.js';
export { autoOrder, backendChoices, cpuBackendWarning, selectBackend } from './lib/backend/selectBackend.js';
export { BackendUnavailableError } from './lib/backend/backendUnavailableError.js';
export { activateWasmBackend, wasmBinaryFolder } from './lib/backend/wasmBackend.js';
export { registerWasmTrainingKernels, wasmTrainingKernelNames } from './lib/backend/registerWasmTrainingKernels.js';
export { registerCpuKernelFixes } from './lib/backend/registerCpuKernelFixes.js';
export type { RecalibrateBatchNormOptions } from './lib/batch-norm-recalibration.js';
export { recalibrateBatchNorm } from './lib/batch-norm-recalibration.js';

// -- data parallelism (replicas in worker threads) --
export type { ReplicaPool } from './lib/data-parallel/replica-pool.js';
export { createReplicaPool, replicaBackends } from './lib/data-parallel/replica-pool.js';
export { predictSlicesParallel } from './lib/data-parallel/parallel-predict.js';
export { parallelBatchGradients } from './lib/data-parallel/parallel-gradients.js';

// -- runners and run records --
export type { RunTrainingEvent, RunTrainingModel, RunTrainingOptions, RunTrainingResult } from './lib/run-training.js';
export { runTraining } from './lib/run-training.js';
export type { PredictionRecord, PredictionSplit, RunPredictionEvent, RunPredictionOptions, RunPredictionResult } from './lib/run-prediction.js';
export { checkDatasetAgainstRun, PREDICTIONS_FILE, resolveCheckpoint, runPrediction } from './lib/run-prediction.js';
export type { PredictedCase } from './lib/prediction-outputs.js';
export type { PredictionInput } from './lib/prediction-inputs.js';
export type { RunClass, RunDataset, RunRecord } from './lib/run-record-schema.js';
export { RUN_RECORD_FILE, RUN_RECORD_SCHEMA_VERSION } from './lib/run-record-schema.js';
export { buildRunRecord, migrateCheckpointRecord, readRunRecord, runClasses, validateRunRecord, writeRunRecord } from './lib/run-record.js';
export { gitCommit } from './lib/git-commit.js';
export type { StartedReplicas } from './lib/data-parallel/start-replicas.js';
export { startReplicas } from './lib/data-parallel/start-replicas.js';
export { trainingCurvesSvg } from './lib/training-curves.js';
// -- engines and export (ONNX) --
export type { EngineName, SliceEngine } from './lib/engine/slice-engine.js';
export { engineChoices, isSliceEngine } from './lib/engine/slice-engine.js';
export { tfjsEngine } from './lib/engine/tfjs-engine.js';
export type { CreateOnnxEngineOptions } from './lib/engine/onnx-engine.js';
export { createOnnxEngine, loadOnnxRuntime, onnxRuntimeAvailable } from './lib/engine/onnx-engine.js';
export type { SelectEngineOptions, SelectedEngines } from './lib/engine/select-engine.js';
export { selectPredictionEngines } from './lib/engine/select-engine.js';
export { openOnnxExport } from './lib/engine/open-onnx-export.js';
export type { OnnxAttribute, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo, UnetOnnxGraphOptions } from './lib/export/onnx-graph.js';
export { onnxInputName, onnxOpset, onnxOutputName, unetOnnxGraph } from './lib/export/onnx-graph.js';
export type { EncodeOnnxOptions, OnnxModelSummary } from './lib/export/write-onnx.js';
export { decodeOnnxSummary, encodeOnnxModel } from './lib/export/write-onnx.js';
export type { ExportedMember, MedsegModelDescription, OnnxExport } from './lib/export/medseg-model.js';
export { describeOnnxExport, medsegModelFile, onnxModelFile, readOnnxExport } from './lib/export/medseg-model.js';
export type { ExportOnnxOptions, ExportOnnxResult } from './lib/export/export-onnx.js';
export { exportOnnx, onnxExportOf, resolveRunCheckpoint } from './lib/export/export-onnx.js';
