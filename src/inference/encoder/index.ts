/** Public surface of the image encoder. */
export { openEncoder, Encoder } from './encoder.js';
export type { EncoderApi, OpenEncoderOptions } from './encoder.js';
export type { EncodedItem, EncodeFilesOptions, PhotoInfo, PreparePhotoOptions } from './encode-pipeline.js';
export { openEncoderWorker, EncoderWorkerClient } from './encoder-client.js';
export { preparePhoto, prepareBytes, sniffFormat, mirrorPixels, DEFAULT_MAX_PIXELS, DEFAULT_THUMBNAIL } from './preprocess.js';
export type { PreparedPhoto, PrepareOptions } from './preprocess.js';
export { PhotoError, isPhotoError } from './errors.js';
export type { PhotoErrorKind } from './errors.js';
export { ENCODER_NAMES, encoderId, loadCard, encoderDir, encoderOutputs, resolveOutputs } from './card.js';
export { CONCEPTS_OUTPUT, CONCEPT_MAP_VERSION } from './derived-outputs.js';
export type { EncoderCard, EncoderOutput, EncoderName, OutputRole } from './card.js';
export { openSession, platformProviders, requestedProviders } from './session.js';
export type { ProviderName, SessionOptions } from './session.js';
