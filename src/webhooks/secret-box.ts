import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets must be recoverable to sign, so they cannot be stored as hashes like API
 * keys. They are stored encrypted (AES-256-GCM) with a key derived from the server secret
 * (`HERALD_SECRET`, or `<data>/secret.key`), which lives outside the database: a copy or backup of
 * the database alone reveals no secret. The webhook id is bound as associated data, so a box
 * copied onto another webhook's row does not open. Whoever holds both the database and the server
 * secret can sign as Herald; rotate the webhook secrets if both leak.
 */
export interface SecretBox {
  seal(webhookId: string, secret: string): string;
  open(webhookId: string, sealed: string): string;
}

export function createSecretBox(serverSecret: Buffer): SecretBox {
  const key = Buffer.from(
    hkdfSync('sha256', serverSecret, 'herald', 'webhook signing secrets v1', 32),
  );
  return {
    seal(webhookId, secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(webhookId));
      const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), data]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(webhookId, sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || data === undefined)
        throw new Error('sealed secret is malformed');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(webhookId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(data, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
