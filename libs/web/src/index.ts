// Public API of @medseg/web: the trained model as a static web page that segments DICOM in the browser.
export { WebExportError } from './lib/errors.js';
export type { WebModelMember } from './lib/webModelMember.js';
export { bundlePage } from './lib/bundlePage.js';
export type { ExportWebSiteOptions, ExportWebSiteResult } from './lib/exportWebSite.js';
export { exportWebSite } from './lib/exportWebSite.js';
export type { StaticSite } from './lib/serveStaticSite.js';
export { serveStaticSite } from './lib/serveStaticSite.js';
