import { domainToASCII } from 'node:url';

/** A subscriber's address as stored: the local part as given, the domain in lowercase ASCII. */
export interface EmailAddress {
  /** `Jane.Doe@xn--bcher-kva.example`: what mail is sent to. */
  address: string;
  /** The lowercase address: one subscriber, one suppression per key. */
  key: string;
}

// RFC 5321 dot-atom characters; quoted local parts and SMTPUTF8 local parts are refused.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Validates and normalises an address: the domain is lowercased and an internationalised domain
 * turned into its ASCII (punycode) form, so `Jane@BÜCHER.example` and `Jane@xn--bcher-kva.example`
 * are one subscriber. Returns the reason when the address cannot be used.
 */
export function normaliseEmail(input: string): EmailAddress | { problem: string } {
  const text = input.trim();
  if (text.length === 0) return { problem: 'is empty' };
  if (text.length > 254) return { problem: 'is longer than 254 characters' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { problem: 'must look like name@example.com' };
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (local.length > 64) return { problem: 'has a part before @ longer than 64 characters' };
  if (!LOCAL_PART.test(local)) {
    return { problem: 'has characters before @ that an address cannot carry' };
  }
  if (/[\s\p{Cc}@<>()[\]\\,;:"]/u.test(domainText) || domainText.endsWith('.')) {
    return { problem: 'has an invalid domain' };
  }
  const domain = domainToASCII(domainText.toLowerCase());
  const labels = domain.split('.');
  if (domain === '' || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return { problem: 'has an invalid domain' };
  }
  if (/^\d+$/.test(labels.at(-1)!)) return { problem: 'has an invalid domain' };
  const address = `${local}@${domain}`;
  if (address.length > 254) return { problem: 'is longer than 254 characters' };
  return { address, key: address.toLowerCase() };
}
