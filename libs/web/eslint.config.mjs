export { default } from '../../eslint.lib.mjs';
