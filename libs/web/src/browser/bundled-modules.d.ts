// CommonJS dependencies that the browser bundle takes in whole for libs/data's require calls (nodeModule.ts).
declare module 'dcmjs';
declare module 'jpeg-lossless-decoder-js';
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decode';
declare module '@cornerstonejs/codec-charls/decode';
declare module '@cornerstonejs/codec-openjpeg/decode';
