// The page imports xterm.js by the URL the switchboard serves it at (/ui/vendor/xterm.js);
// its types are the package's.
export * from '@xterm/xterm';
