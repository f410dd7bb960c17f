export { componentStyles } from './component.styles.js';
