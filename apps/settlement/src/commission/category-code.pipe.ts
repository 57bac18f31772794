import { Injectable, type PipeTransform } from '@nestjs/common';
import { CATEGORY_CODE_PATTERN } from '@kami/contracts';
import { ValidationFailedError } from '@kami/platform';

/** A catalog category code in the path (`game-cards.mobile`); anything else is a 400 naming the field. */
@Injectable()
export class CategoryCodePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (value.length > 200 || !CATEGORY_CODE_PATTERN.test(value)) {
      throw new ValidationFailedError([{ field: 'categoryCode', messages: ['categoryCode must be lower-case letters, digits and dashes, in dot-separated segments'] }]);
    }
    return value;
  }
}
