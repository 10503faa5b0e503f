using System;
using System.Collections.Generic;
using System.Linq.Expressions;
using System.Management.Automation;
using System.Reflection;

namespace SecureConnect.Common;

/// <summary>
/// Builds the PSCustomObject of a result row: the same object <c>[pscustomobject]@{...}</c> gives (type name
/// PSCustomObject, one NoteProperty per column in column order), at a fraction of the cost.
/// </summary>
/// <remarks>
/// Adding a property through <c>PSObject.Properties</c> costs far more than the property: PowerShell keeps the members
/// of every custom object in a process-wide ConditionalWeakTable keyed by the object, which puts a hash code in the
/// object's header (every later lock on it then needs a sync block, freed by the finalizer thread), takes that table's
/// lock, copies each property, and announces its name to the member binders, for every property of every row. Profiled
/// on a million rows this was most of the time of <c>Invoke-SecureQuery</c> (Monitor.Enter_Slowpath and the finalizer
/// thread). Here each row gets its own member collection, set on the object directly, as PowerShell's deserializer does,
/// and the names are announced to the binders once per result, not once per row.
/// That reaches into PowerShell internals (<c>PSObject.InstanceMembers</c>, <c>PSMemberInfoInternalCollection</c>,
/// <c>PSGetMemberBinder.SetHasInstanceMember</c>); when they move, <see cref="Direct"/> is false and rows are built
/// through the public API (slower, the same objects), and the xunit test RowObjectsTests fails loudly.
/// </remarks>
internal sealed class RowObjects
{
    private static readonly Internals? Fast = Internals.Resolve();

    private readonly string[] _names;
    private readonly bool _hasConstant;
    private readonly object? _constant;

    /// <summary>A factory for the rows of one result, whose unique column names are <paramref name="names"/>.</summary>
    public RowObjects(string[] names)
        : this(names, false, null)
    {
    }

    /// <summary>
    /// A factory for rows that carry, after their columns, one more property with the same value in every row (the
    /// integration a row came from, -IncludeSource): <paramref name="names"/> holds the column names and then that
    /// property's name, all unique, and each row's values are the columns' only.
    /// </summary>
    public RowObjects(string[] names, object? constant)
        : this(names, true, constant)
    {
    }

    private RowObjects(string[] names, bool hasConstant, object? constant)
    {
        _names = names;
        _hasConstant = hasConstant;
        _constant = constant;
        if (Fast is not null)
        {
            foreach (string name in names)
            {
                Fast.Announce(name);
            }
        }
    }

    /// <summary>Whether rows are built directly (PowerShell's internals were found) rather than through the public API.</summary>
    public static bool Direct => Fast is not null;

    /// <summary>The row: one NoteProperty per column, <paramref name="values"/> in column order (null for NULL).</summary>
    public PSObject Create(object?[] values) => _hasConstant ? Build(_names, new WithConstant(values, _constant), Fast) : Build(_names, values, Fast);

    /// <summary>A one-off object whose names are not shared with other rows (a document, a nested row).</summary>
    public static PSObject CreateOne(IReadOnlyList<string> names, IReadOnlyList<object?> values)
    {
        if (Fast is not null)
        {
            for (int i = 0; i < names.Count; i++)
            {
                Fast.Announce(names[i]);
            }
        }

        return Build(names, values, Fast);
    }

    /// <summary>The same row through the public API only (the reference the tests compare with).</summary>
    internal static PSObject CreatePublic(IReadOnlyList<string> names, IReadOnlyList<object?> values) => Build(names, values, null);

    // Generic so a row's values with the constant (a struct) are read without boxing.
    private static PSObject Build<TValues>(IReadOnlyList<string> names, TValues values, Internals? fast)
        where TValues : IReadOnlyList<object?>
    {
        var row = new PSObject();
        if (fast is null)
        {
            for (int i = 0; i < names.Count; i++)
            {
                row.Properties.Add(new PSNoteProperty(names[i], values[i]));
            }

            return row;
        }

        object members = fast.NewMembers();
        for (int i = 0; i < names.Count; i++)
        {
            fast.Add(members, new PSNoteProperty(names[i], values[i]));
        }

        fast.SetMembers(row, members);
        return row;
    }

    /// <summary>A row's values followed by the constant property's value, without copying them.</summary>
    private readonly struct WithConstant : IReadOnlyList<object?>
    {
        private readonly object?[] _values;
        private readonly object? _constant;

        public WithConstant(object?[] values, object? constant)
        {
            _values = values;
            _constant = constant;
        }

        public int Count => _values.Length + 1;

        public object? this[int index] => index == _values.Length ? _constant : _values[index];

        public IEnumerator<object?> GetEnumerator()
        {
            foreach (object? value in _values)
            {
                yield return value;
            }

            yield return _constant;
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The internal members of PowerShell the direct path uses, compiled once.</summary>
    private sealed class Internals
    {
        private readonly object _announcedLock = new();
        private HashSet<string> _announced = new(StringComparer.OrdinalIgnoreCase);

        private Internals(Func<object> newMembers, Action<object, PSMemberInfo> add, Action<PSObject, object> setMembers, Action<string> setHasInstanceMember)
        {
            NewMembers = newMembers;
            Add = add;
            SetMembers = setMembers;
            SetHasInstanceMember = setHasInstanceMember;
        }

        public Func<object> NewMembers { get; }

        public Action<object, PSMemberInfo> Add { get; }

        public Action<PSObject, object> SetMembers { get; }

        private Action<string> SetHasInstanceMember { get; }

        /// <summary>Tells PowerShell's member binders that objects may carry an instance member of this name (once per name).</summary>
        public void Announce(string name)
        {
            // What PowerShell's own Properties.Add and its deserializer do after adding an instance member. PowerShell
            // 7.6's binders find a custom object's instance members without it (RowObjectsTests shows a column named
            // like the intrinsic Length read as the column); it is kept for the binders that rely on it. The flag is
            // process-wide and never cleared, so one call per name is enough; the set keeps the binder's lock out of
            // every result after the first.
            HashSet<string> announced = _announced;
            if (announced.Contains(name))
            {
                return;
            }

            SetHasInstanceMember(name);
            lock (_announcedLock)
            {
                _announced = new HashSet<string>(_announced, StringComparer.OrdinalIgnoreCase) { name };
            }
        }

        public static Internals? Resolve()
        {
            try
            {
                const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
                const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
                PropertyInfo? instanceMembers = typeof(PSObject).GetProperty("InstanceMembers", Instance);
                Type? collection = instanceMembers?.PropertyType;
                MethodInfo? setter = instanceMembers?.GetSetMethod(nonPublic: true);
                ConstructorInfo? create = collection?.GetConstructor(Instance, Type.EmptyTypes);
                MethodInfo? add = collection?.GetMethod("Add", Instance, new[] { typeof(PSMemberInfo), typeof(bool) });
                MethodInfo? announce = typeof(PSObject).Assembly.GetType("System.Management.Automation.Language.PSGetMemberBinder")?.GetMethod("SetHasInstanceMember", Static, new[] { typeof(string) });
                if (collection is null || setter is null || create is null || add is null || announce is null
                    || !typeof(PSMemberInfoCollection<PSMemberInfo>).IsAssignableFrom(collection))
                {
                    return null;
                }

                ParameterExpression members = Expression.Parameter(typeof(object), "members");
                ParameterExpression member = Expression.Parameter(typeof(PSMemberInfo), "member");
                ParameterExpression row = Expression.Parameter(typeof(PSObject), "row");
                ParameterExpression name = Expression.Parameter(typeof(string), "name");
                return new Internals(
                    Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(create), typeof(object))).Compile(),
                    Expression.Lambda<Action<object, PSMemberInfo>>(Expression.Call(Expression.Convert(members, collection), add, member, Expression.Constant(true)), members, member).Compile(),
                    Expression.Lambda<Action<PSObject, object>>(Expression.Call(row, setter, Expression.Convert(members, collection)), row, members).Compile(),
                    Expression.Lambda<Action<string>>(Expression.Call(announce, name), name).Compile());
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or MemberAccessException or TypeLoadException)
            {
                return null;
            }
        }
    }
}
