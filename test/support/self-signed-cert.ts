import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CertificatePair {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1, made with the openssl CLI. */
export function selfSignedCertificate(): CertificatePair {
  const dir = mkdtempSync(join(tmpdir(), "pubsub-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile,
      "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { dir, certFile, keyFile };
}
