// esbuild options shared by the Node bundles (the `rivulet` command in dist/cli/, the embeddable broker in
// dist/broker/): one file plus split chunks, npm packages left external, whitespace and syntax minified
// (less to parse at start-up; identifiers and the source map keep stack traces readable).
export const NODE_BUNDLE = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning',
};
