using System;
using System.IO;
using System.Security;
using SecureConnect.Common;
using SecureConnect.Ssh;
using SecureConnect.Ssh.Keys;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Ssh;

/// <summary>Unlock-WorkspaceSshKey's service, and Import-WorkspaceSshKey's order of complaints.</summary>
public sealed class WorkspaceKeyUnlockTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-xunit-" + Guid.NewGuid().ToString("N"));
    private readonly WorkspaceStore _store;

    public WorkspaceKeyUnlockTests()
    {
        _store = new WorkspaceStore(new WorkspacePaths(_root));
    }

    public void Dispose()
    {
        WorkspaceKeyUnlocks.Forget(_store.Paths.PrivateKeyFile);
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (char c in text)
        {
            secure.AppendChar(c);
        }

        return secure;
    }

    private static readonly Action<string> s_quiet = _ => { };

    [Fact]
    public void Unlock_RightPassphrase_IsRememberedAsACopy_UntilLocked()
    {
        var service = new WorkspaceKeyService(_store);
        service.Create(SshKeyAlgorithm.Ed25519, "unlock-test", System.Text.Encoding.UTF8.GetBytes("open sesame"), force: false, s_quiet);
        Assert.Null(WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile));

        SecureString given = Secure("open sesame");
        service.Unlock(given, s_quiet);
        given.Dispose();

        SecureString? kept = WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile);
        Assert.NotNull(kept);
        Assert.True(kept!.IsReadOnly());
        Assert.Equal(11, kept.Length);

        Assert.True(service.Lock());
        Assert.Null(WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile));
        Assert.False(service.Lock());
    }

    [Fact]
    public void Unlock_WrongPassphrase_IsKeyPassphraseIncorrect_AndRemembersNothing()
    {
        var service = new WorkspaceKeyService(_store);
        service.Create(SshKeyAlgorithm.Ed25519, "unlock-test", System.Text.Encoding.UTF8.GetBytes("open sesame"), force: false, s_quiet);

        SecureConnectException e = Assert.Throws<SecureConnectException>(() => service.Unlock(Secure("wrong"), s_quiet));
        Assert.Equal(ErrorIds.KeyPassphraseIncorrect, e.ErrorId);
        Assert.Null(WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile));
    }

    [Fact]
    public void RotatingOrRemovingTheKey_ForgetsTheUnlockedPassphrase()
    {
        var service = new WorkspaceKeyService(_store);
        service.Create(SshKeyAlgorithm.Ed25519, "unlock-test", System.Text.Encoding.UTF8.GetBytes("open sesame"), force: false, s_quiet);
        service.Unlock(Secure("open sesame"), s_quiet);

        service.Create(SshKeyAlgorithm.Ed25519, "rotated", null, force: true, s_quiet);
        Assert.Null(WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile));

        service.Create(SshKeyAlgorithm.Ed25519, "again", System.Text.Encoding.UTF8.GetBytes("p2"), force: true, s_quiet);
        service.Unlock(Secure("p2"), s_quiet);
        service.Remove(s_quiet);
        Assert.Null(WorkspaceKeyUnlocks.For(_store.Paths.PrivateKeyFile));
    }

    [Fact]
    public void Import_PublicKeyReadableByOthers_SaysPublicKeyFirst()
    {
        Directory.CreateDirectory(_root);
        var service = new WorkspaceKeyService(_store);
        WorkspaceSshKey key = service.Create(SshKeyAlgorithm.Ed25519, "pub-test", null, force: false, s_quiet);
        string pub = Path.Combine(_root, "copy.pub");
        File.WriteAllText(pub, key.PublicKey + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(pub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        SecureConnectException e = Assert.Throws<SecureConnectException>(() => service.Import(pub, null, force: true, s_quiet));
        Assert.Equal(ErrorIds.KeyIsPublicKey, e.ErrorId);
    }
}
