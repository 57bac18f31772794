import { createHash } from 'node:crypto';
import type { FieldProblem } from '@kami/platform';

export const MAX_PROOF_BYTES = 5 * 1024 * 1024;

/** The document types operators can open safely, recognised by their first bytes, not by the name. */
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};
export const PROOF_CONTENT_TYPES = Object.keys(SIGNATURES);

export interface ProofDocument {
  fileName: string;
  contentType: string;
  content: Buffer;
  sha256: string;
}

/** Decodes and checks an uploaded proof; problems name the field under `proof`. */
export function readProof(input: { fileName: string; contentType: string; contentBase64: string }): ProofDocument | FieldProblem[] {
  const content = Buffer.from(input.contentBase64, 'base64');
  if (content.length === 0) return [{ field: 'proof.contentBase64', messages: ['must be a non-empty base64 document'] }];
  if (content.length > MAX_PROOF_BYTES) return [{ field: 'proof.contentBase64', messages: [`must be at most ${MAX_PROOF_BYTES} bytes once decoded`] }];
  const signature = SIGNATURES[input.contentType];
  if (!signature || !signature.every((byte, i) => content[i] === byte)) {
    return [{ field: 'proof.contentBase64', messages: [`the content is not ${input.contentType} (checked by its first bytes)`] }];
  }
  return { fileName: input.fileName, contentType: input.contentType, content, sha256: createHash('sha256').update(content).digest('hex') };
}
