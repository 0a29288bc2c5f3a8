// AWS SDK for JavaScript v3 (package.json pins it) against `sigscope listen --tls-cert`, run by
// ../generate_js.sh with NODE_EXTRA_CA_CERTS naming the listener's throw-away certificate.
//
// In order (the manifest lists them):
//   js-buffer        PutObject of a Buffer: the SDK's default CRC32 as a header.
//   js-stream        PutObject of a stream with ContentLength: aws-chunked,
//                    STREAMING-UNSIGNED-PAYLOAD-TRAILER, the CRC32 in a trailer.
//   js-presigned     getSignedUrl(PutObject) without a body known: the SDK puts
//                    x-amz-checksum-crc32=AAAAAA== (the CRC32 of an empty body) and
//                    x-amz-sdk-checksum-algorithm=CRC32 into the query; the URL is then used to
//                    PUT 2500 bytes with node's https (what a browser or curl would do).
//   js-presigned-empty  the same URL, an empty body: the one body it allows.
//
// Usage: node gen_js.mjs ENDPOINT MANIFEST_OUT
import { readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { Readable } from "node:stream";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const [endpoint, manifestPath] = process.argv.slice(2);
const DATA = Buffer.from("sigscope issue 14 from the AWS SDK for JavaScript v3. ".repeat(50).slice(0, 2500));
const client = new S3Client({
  endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  maxAttempts: 1,
});
const sdkVersion = JSON.parse(readFileSync(new URL("./node_modules/@aws-sdk/client-s3/package.json", import.meta.url))).version;

const uploads = [];
async function put(key, body, extra = {}) {
  try {
    await client.send(new PutObjectCommand({ Bucket: "payload", Key: key, Body: body, ...extra }));
    uploads.push({ key, error: null });
  } catch (e) {
    uploads.push({ key, error: e.name });
  }
}

function rawPut(url, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: "PUT", headers: { "Content-Length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end(body);
  });
}

await put("js-buffer", DATA);
await put("js-stream", Readable.from([DATA.subarray(0, 1000), DATA.subarray(1000)]), { ContentLength: DATA.length });
const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: "payload", Key: "js-presigned" }), { expiresIn: 900 });
uploads.push({ key: "js-presigned", status: await rawPut(url, DATA), query: new URL(url).search });
const url2 = await getSignedUrl(client, new PutObjectCommand({ Bucket: "payload", Key: "js-presigned-empty" }), { expiresIn: 900 });
uploads.push({ key: "js-presigned-empty", status: await rawPut(url2, Buffer.alloc(0)) });
writeFileSync(manifestPath, JSON.stringify({ "@aws-sdk/client-s3": sdkVersion, decoded_length: DATA.length, uploads }, null, 1) + "\n");
