using System;
using SecureConnect.Common;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>What <see cref="HostKeyVerifier.Decide"/> concluded about a presented host key.</summary>
internal enum HostKeyOutcome
{
    /// <summary>known_hosts holds exactly this key for the host.</summary>
    Trusted,

    /// <summary>The key matches the fingerprint the caller pinned.</summary>
    TrustedByPin,

    /// <summary>AcceptNew and the host has no entry at all: accept, and the caller records the key.</summary>
    TrustOnFirstUse,

    /// <summary>Strict and the host has no entry: refuse.</summary>
    Unknown,

    /// <summary>The host has entries but none holds this key, or the pin differs: refuse.</summary>
    Mismatch,

    /// <summary>known_hosts marks this key @revoked: refuse.</summary>
    Revoked,
}

/// <summary>
/// The verdict on a host key, with the message the cmdlets show. The message is built here, next to the
/// decision, so every caller tells the user the same thing and the same next step.
/// </summary>
internal sealed class HostKeyDecision
{
    public HostKeyDecision(
        HostKeyOutcome outcome,
        string host,
        int port,
        string keyType,
        string presentedFingerprint,
        string[] knownFingerprints,
        string message,
        KnownHostEntry? matchedEntry)
    {
        Outcome = outcome;
        Host = host;
        Port = port;
        KeyType = keyType;
        PresentedFingerprint = presentedFingerprint;
        KnownFingerprints = knownFingerprints;
        Message = message;
        MatchedEntry = matchedEntry;
    }

    public HostKeyOutcome Outcome { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The type of the presented key.</summary>
    public string KeyType { get; }

    /// <summary>SHA256 fingerprint of the presented key.</summary>
    public string PresentedFingerprint { get; }

    /// <summary>Fingerprints of the non-revoked keys known_hosts holds for the host, any key type.</summary>
    public string[] KnownFingerprints { get; }

    /// <summary>What happened and what to do; shown to the user as is.</summary>
    public string Message { get; }

    /// <summary>The known_hosts entry that decided (Trusted or Revoked), else null.</summary>
    public KnownHostEntry? MatchedEntry { get; }

    /// <summary>True when the connection may proceed (for TrustOnFirstUse the caller must record the key).</summary>
    public bool IsAccepted => Outcome is HostKeyOutcome.Trusted or HostKeyOutcome.TrustedByPin or HostKeyOutcome.TrustOnFirstUse;

    /// <summary>The error for a refused key: HostKeyUnknown, or HostKeyMismatch (also for a revoked key).</summary>
    public SecureConnectException ToException()
    {
        string errorId = Outcome switch
        {
            HostKeyOutcome.Unknown => ErrorIds.HostKeyUnknown,
            HostKeyOutcome.Mismatch => ErrorIds.HostKeyMismatch,
            HostKeyOutcome.Revoked => ErrorIds.HostKeyMismatch, // as the tunnel raises it: a revoked key is a key that must not be trusted
            _ => throw new InvalidOperationException("The host key was accepted (" + Outcome + "); there is no error to raise."),
        };

        return new SecureConnectException(errorId, ErrorKind.SecurityError, Message, HostKeyVerifier.Display(Host, Port));
    }
}
