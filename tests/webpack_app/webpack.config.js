// tests/vite_app's sources built by webpack 5 as its documentation and plugins default:
// `[name].[contenthash].js`, lazy chunks `[name].[contenthash].chunk.js`, asset modules
// `[hash][ext]` (a name that is the hash), CSS extracted with its url()s, publicPath "auto",
// and a manifest: webpack-manifest-plugin's manifest.json (its default shape, or a custom
// `generate`, entrypoints by chunk as its readme shows), webpack-bundle-tracker's
// webpack-stats.json (what django-webpack-loader reads) or webpack-assets-manifest's
// assets-manifest.json (with entrypoints and integrity).
const path = require("path");
const MiniCssExtractPlugin = require("mini-css-extract-plugin");
const { WebpackManifestPlugin } = require("webpack-manifest-plugin");
const BundleTracker = require("webpack-bundle-tracker");
const WebpackAssetsManifest = require("webpack-assets-manifest");

// One manifest per build, as an app has: CDNPUB_WEBPACK_MANIFEST picks it.
const MANIFESTS = {
  default: () => new WebpackManifestPlugin({}),
  generate: () =>
    new WebpackManifestPlugin({
      generate: (seed, files, entrypoints) => ({ app: "cdnpub-fixture", entrypoints }),
    }),
  tracker: () => new BundleTracker({}), // webpack-stats.json in output.path, absolute paths
  assets: () => new WebpackAssetsManifest({ entrypoints: true, integrity: true }),
};

module.exports = {
  mode: "production",
  context: __dirname,
  entry: { main: "./src/main.js", admin: "./src/admin.js" },
  output: {
    path: process.env.CDNPUB_WEBPACK_OUT_DIR || path.resolve(__dirname, "static/build"),
    filename: "[name].[contenthash].js",
    chunkFilename: "[name].[contenthash].chunk.js",
    clean: true,
  },
  optimization: { splitChunks: { chunks: "all", minSize: 0, name: "shared" } },
  module: {
    rules: [
      { test: /\.css$/, use: [MiniCssExtractPlugin.loader, "css-loader"] },
      { test: /\.svg$/, type: "asset/resource" },
    ],
  },
  plugins: [
    new MiniCssExtractPlugin({ filename: "[name].[contenthash].css" }),
    MANIFESTS[process.env.CDNPUB_WEBPACK_MANIFEST || "default"](),
  ],
};
