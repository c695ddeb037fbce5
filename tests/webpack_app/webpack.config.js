// tests/vite_app's sources built by webpack 5 as its documentation and plugins default:
// `[name].[contenthash].js`, lazy chunks `[name].[contenthash].chunk.js`, asset modules
// `[hash][ext]` (a name that is the hash), CSS extracted with its url()s, publicPath "auto",
// webpack-manifest-plugin's manifest.json: its default shape, or with CDNPUB_WEBPACK_MANIFEST=generate
// a custom `generate` (entrypoints by chunk, as its readme shows).
const path = require("path");
const MiniCssExtractPlugin = require("mini-css-extract-plugin");
const { WebpackManifestPlugin } = require("webpack-manifest-plugin");

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
    process.env.CDNPUB_WEBPACK_MANIFEST === "generate"
      ? new WebpackManifestPlugin({
          generate: (seed, files, entrypoints) => ({ app: "cdnpub-fixture", entrypoints }),
        })
      : new WebpackManifestPlugin({}),
  ],
};
