// The house style as the code already reads (long lines, single quotes, trailing commas).
export default {
  printWidth: 140,
  singleQuote: true,
  trailingComma: 'all',
  arrowParens: 'always',
};
