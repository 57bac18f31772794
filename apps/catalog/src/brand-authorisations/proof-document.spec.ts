import { MAX_PROOF_BYTES, readProof } from './proof-document';

const base64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');

describe('brand authorisation proof documents', () => {
  it('accepts PDF, PNG and JPEG recognised by their first bytes, with a SHA-256 to quote', () => {
    const pdf = readProof({ fileName: 'agreement.pdf', contentType: 'application/pdf', contentBase64: base64('%PDF-1.7\n') });
    expect(pdf).toMatchObject({ contentType: 'application/pdf', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Array.isArray(readProof({ fileName: 'a.png', contentType: 'image/png', contentBase64: base64(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])) }))).toBe(false);
    expect(Array.isArray(readProof({ fileName: 'a.jpg', contentType: 'image/jpeg', contentBase64: base64(Buffer.from([0xff, 0xd8, 0xff, 0xe0])) }))).toBe(false);
  });

  it('refuses a document whose content is not what its type says (an HTML page named .pdf)', () => {
    expect(readProof({ fileName: 'agreement.pdf', contentType: 'application/pdf', contentBase64: base64('<html><script>alert(1)</script>') })).toEqual([
      { field: 'proof.contentBase64', messages: ['the content is not application/pdf (checked by its first bytes)'] },
    ]);
  });

  it('refuses an empty or oversized document', () => {
    expect(readProof({ fileName: 'a.pdf', contentType: 'application/pdf', contentBase64: '' })).toEqual([
      { field: 'proof.contentBase64', messages: ['must be a non-empty base64 document'] },
    ]);
    const big = Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(MAX_PROOF_BYTES)]);
    expect(readProof({ fileName: 'a.pdf', contentType: 'application/pdf', contentBase64: base64(big) })).toEqual([
      { field: 'proof.contentBase64', messages: [`must be at most ${MAX_PROOF_BYTES} bytes once decoded`] },
    ]);
  });
});
