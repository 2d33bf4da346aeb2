import AdapterKit
import ArgumentParser

// The library's enums parsed from their raw values (`--method lora|dora`, `--norm-axis output|input`, `--init gaussian|kaiming`).
extension AdapterMethod: ExpressibleByArgument {}
extension NormAxis: ExpressibleByArgument {}
extension LowRankInitialization: ExpressibleByArgument {}
