package plan

// Masked stands in for a secret value everywhere a plan is shown or written.
const Masked = "[secret]"

// Unknown stands in for a value only known after the resource exists.
const Unknown = "[unknown]"
