// The media benchmark's peer: sharp (libvips) making the same variants as Gazette's media stage, one thread, timed.
//
// Usage: node sharp.mjs SHARP_DIR WIDTHS JPEG_QUALITY WEBP_QUALITY ROUNDS FILE...
// Prints {"images", "seconds", "bytes_in", "bytes_out"} as JSON. Each image
// is turned upright (EXIF), then each width up to its own is made as WebP
// and JPEG, sharp's idiomatic way: one pipeline per output, sharing the
// input buffer, so libvips may shrink-on-load.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const [, , sharpDir, widthsArg, jpegArg, webpArg, roundsArg, ...files] = process.argv;
const require = createRequire(`${sharpDir}/node_modules/`);
const sharp = require('sharp');
sharp.concurrency(1);
sharp.cache(false);
const widths = widthsArg.split(',').map(Number);
const jpegQuality = Number(jpegArg);
const webpQuality = Number(webpArg);
const inputs = files.map((file) => fs.readFileSync(file));

let images = 0;
let bytesIn = 0;
let bytesOut = 0;
const started = process.hrtime.bigint();
for (let round = 0; round < Number(roundsArg); round++) {
  for (const input of inputs) {
    const { width } = await sharp(input).rotate().metadata();
    let own = widths.filter((w) => w <= width);
    if (own.length === 0) own = [width];
    for (const w of own) {
      const webp = await sharp(input).rotate().resize({ width: w, withoutEnlargement: true }).webp({ quality: webpQuality }).toBuffer();
      const jpeg = await sharp(input).rotate().resize({ width: w, withoutEnlargement: true }).jpeg({ quality: jpegQuality }).toBuffer();
      bytesOut += webp.length + jpeg.length;
    }
    images += 1;
    bytesIn += input.length;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ images, seconds, bytes_in: bytesIn, bytes_out: bytesOut, version: sharp.versions }));
