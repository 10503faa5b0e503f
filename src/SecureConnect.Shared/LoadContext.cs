using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace SecureConnect.Shared;

/// <summary>
/// The module's private AssemblyLoadContext. SecureConnect.dll and every third-party assembly it needs
/// (SSH.NET, BouncyCastle, Npgsql, MySqlConnector, SqlClient) load here, resolved through the published
/// .deps.json, so another module that already loaded a different version of any of them into the default
/// context does not break SecureConnect, and SecureConnect does not break it.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    private const string MainAssemblyName = "SecureConnect";

    private static readonly object s_sync = new();
    private static LoadContext? s_instance;

    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _sharedAssemblyName;

    private LoadContext(string mainAssemblyPath)
        : base(name: "SecureConnect", isCollectible: false)
    {
        // AssemblyDependencyResolver reads SecureConnect.deps.json and picks the runtime-specific asset
        // (SqlClient ships a placeholder in lib/ that throws PlatformNotSupportedException on Linux).
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _sharedAssemblyName = typeof(LoadContext).Assembly.GetName().Name!;
    }

    /// <summary>
    /// Creates the load context once per process and returns the main module assembly loaded in it.
    /// Called by SecureConnect.psm1 before Import-Module -Assembly.
    /// </summary>
    public static Assembly Initialize()
    {
        lock (s_sync)
        {
            if (s_instance is null)
            {
                string directory = Path.GetDirectoryName(typeof(LoadContext).Assembly.Location)!;
                s_instance = new LoadContext(Path.Combine(directory, MainAssemblyName + ".dll"));
            }

            return s_instance.LoadFromAssemblyName(new AssemblyName(MainAssemblyName));
        }
    }

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The shared assembly holds the public output types: it must be the one instance in the default
        // context, or objects from the cmdlets would not match the types other code sees.
        if (string.Equals(assemblyName.Name, _sharedAssemblyName, StringComparison.Ordinal))
        {
            return null;
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            // Framework and PowerShell assemblies (System.Management.Automation) come from the default context.
            return null;
        }

        return LoadFromAssemblyPath(path);
    }

    /// <inheritdoc/>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
