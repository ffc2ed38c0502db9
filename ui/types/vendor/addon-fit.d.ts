// The fit addon by its served URL (/ui/vendor/addon-fit.js), typed by the package.
export * from '@xterm/addon-fit';
