// The AWS SDK for JavaScript v3 client of tests/diagnosis (make.sh installs
// @aws-sdk/client-s3 at the pinned version into a temporary folder and runs
// this with NODE_PATH pointing there).
//
// usage: node js_client.cjs ENDPOINT KEY [KEY ...]   (GetObject of each key)
"use strict";
const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3");

async function main() {
  const [endpoint, ...keys] = process.argv.slice(2);
  const c = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE",
                   secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  });
  for (const key of keys) {
    const label = `js GetObject ${key} -> ${endpoint}`;
    try {
      const r = await c.send(new GetObjectCommand({ Bucket: "diagbucket", Key: key }));
      await r.Body.transformToByteArray();
      console.log(`  ${label.padEnd(40)} HTTP ${r.$metadata.httpStatusCode}`);
    } catch (e) {
      console.log(`  ${label.padEnd(40)} HTTP ${e.$metadata && e.$metadata.httpStatusCode} ${e.name}`);
    }
  }
}
main();
