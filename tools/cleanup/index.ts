export { Cleanup } from './cleanup';
