import ArgumentParser
import TaskwireServer

extension ArgumentHelp {
    /// Help for a flag that sets a configuration key: what it does, its defaults per preset,
    /// the key and the environment variable.
    static func key(_ key: TaskwireConfiguration.Key, valueName: String? = nil) -> ArgumentHelp {
        let defaults = TaskwireConfiguration.presetDefaults(for: key)
        return ArgumentHelp(
            "\(key.summary). Default \(defaults). [key \(key.name), env \(key.environmentVariable)]",
            valueName: valueName
        )
    }
}
