import { ApiError, toApiError } from '../../api/client';
import { sessionStore } from '../../session/store';

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * PUTs a file with XMLHttpRequest, the one browser API that reports upload progress
 * (`xhr.upload.onprogress`; fetch has none). Resolves with the parsed JSON answer; rejects with an
 * ApiError as the fetch client would (problem+json read the same way), `network_error` on a
 * dropped connection, or an AbortError when `signal` aborts.
 */
export function putWithProgress<T>(url: string, file: Blob, contentType: string, onProgress: (progress: UploadProgress) => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json, application/problem+json;q=0.9');
    const token = sessionStore.token();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.upload.onload = () => onProgress({ loaded: file.size, total: file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
        } catch (error) {
          reject(error);
        }
        return;
      }
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader('retry-after');
      if (retryAfter) headers.set('retry-after', retryAfter);
      void toApiError(new Response(xhr.responseText, { status: xhr.status, headers })).then((error) => {
        if (error.status === 401) sessionStore.clear('expired');
        reject(error);
      });
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, code: 'network_error' }));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** A file's content as base64 (without the `data:…;base64,` prefix), as the API takes proofs. */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const result = String(reader.result);
      resolve(result.slice(result.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}

/**
 * Counts the data lines of a CSV file the way the vault does (every line counts, a header naming
 * `code` does not), reading it in chunks so a large file never sits in memory as one string.
 */
export async function countCsvLines(file: Blob): Promise<number> {
  const reader = file.stream().getReader();
  let lines = 0;
  let lastByte = 10;
  let first: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (first.length < 64) first = first.concat(Array.from(value.subarray(0, 64 - first.length)));
    for (let i = 0; i < value.length; i += 1) if (value[i] === 10) lines += 1;
    if (value.length > 0) lastByte = value[value.length - 1]!;
  }
  if (lastByte !== 10) lines += 1;
  const head = new TextDecoder().decode(new Uint8Array(first)).replace(/^\uFEFF/, '').split(/\r?\n/)[0]?.trim().toLowerCase() ?? '';
  if (head.split(',')[0] === 'code') lines -= 1;
  return Math.max(lines, 0);
}
