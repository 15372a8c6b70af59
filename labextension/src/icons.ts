/**
 * The panel's icon: a prompt chevron and a spark, drawn with the theme's icon colour.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3.3 6.3l1.4-1.4L11.8 12l-7.1 7.1-1.4-1.4L9 12z"/>
    <path d="M13 17h8v2h-8z"/>
    <path d="M18 2l1.1 3.4L22.5 6.5l-3.4 1.1L18 11l-1.1-3.4L13.5 6.5l3.4-1.1z"/>
  </g>
</svg>`;

export const codeactIcon = new LabIcon({ name: 'codeact-magic:codeact', svgstr: SVG });

/** The badge on inserted cells: the spark alone, legible at 12 px. */
export const sparkIcon = new LabIcon({
  name: 'codeact-magic:spark',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
  <path class="jp-icon-brand1" fill="#1976d2" d="M8 1l1.6 4.8L14.5 7.5 9.6 9.2 8 14 6.4 9.2 1.5 7.5l4.9-1.7z"/>
</svg>`
});
